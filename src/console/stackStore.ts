import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import * as path from "node:path";
import { parseDocument, type Document, type ToStringOptions } from "yaml";
import type { ConfigProblem } from "../config/errors";
import type { LastDeployment } from "../config/transition";
import {
  generalProblem,
  toConsoleProblems,
  validateStackFile,
  type ConsoleProblem,
  type EditFocus,
  type Validation,
} from "./validation";

/**
 * The stack file as the console reads and writes it. Every edit is validated by the project's own parser
 * and the transition rules against the last deployment before it replaces the file, and replaces it
 * atomically: a temp file in the same directory, fsynced, then renamed over the original. The texts the
 * console replaced are kept, so that an edit can be undone.
 */

/** With these options an untouched document prints byte for byte as it was read. */
export const YAML_FORMAT: ToStringOptions = { lineWidth: 0, flowCollectionPadding: false };

export type EditResult =
  { ok: true; changed: boolean } | { ok: false; status: number; problems: ConsoleProblem[] };

/** Thrown by an edit function to refuse the edit with problems of its own. */
export class EditRefused extends Error {
  constructor(
    readonly problems: ConfigProblem[],
    readonly status = 400,
  ) {
    super(problems.map((problem) => problem.message).join("; "));
  }
}

function writeFileDurably(file: string, text: string, mode: number): void {
  const fd = openSync(file, "wx", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDirectory(directory: string): void {
  try {
    const fd = openSync(directory, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename itself is still atomic.
  }
}

/** How many earlier versions undo can go back through. */
const HISTORY_LIMIT = 50;

export class StackStore {
  private queue: Promise<unknown> = Promise.resolve();
  /** Texts the console's own writes replaced, oldest first. */
  private readonly history: string[] = [];
  /** What the console last wrote: undo refuses when the file changed since, outside the console. */
  private lastWritten: string | undefined;

  constructor(
    readonly stackFile: string,
    readonly projectDir: string,
    /** The last deployment edits must change safely from (undefined: none known). */
    private readonly lastDeployment: () => LastDeployment | undefined,
  ) {}

  readText(): string {
    return readFileSync(this.stackFile, "utf8");
  }

  validateCurrent(): Validation {
    return validateStackFile(this.stackFile, this.projectDir, this.lastDeployment());
  }

  /** Whether undo has something to go back to, and if not, why. */
  undoAvailability(): { available: boolean; reason?: string } {
    if (this.history.length === 0)
      return { available: false, reason: "no edit made in this console to undo" };
    if (this.readText() !== this.lastWritten)
      return { available: false, reason: "the stack file changed outside the console since its last edit" };
    return { available: true };
  }

  /**
   * Applies `edit` to the parsed document and writes the result if, and only if, the whole stack is
   * valid afterwards; with `dryRun` only says whether it would. Edits are serialized so that each one
   * starts from the file the previous one wrote.
   */
  edit(
    edit: (doc: Document) => EditFocus | undefined,
    options: { dryRun?: boolean } = {},
  ): Promise<EditResult> {
    return this.serialized(() => this.editNow(edit, options.dryRun === true));
  }

  /** Goes back to the text before the console's last write. */
  undo(): Promise<EditResult> {
    return this.serialized(() => {
      const availability = this.undoAvailability();
      if (!availability.available)
        return { ok: false, status: 409, problems: [generalProblem(availability.reason ?? "")] };
      const previous = this.history.pop() ?? "";
      this.replace(previous);
      return { ok: true, changed: true };
    });
  }

  /**
   * Writes `text` (the committed version) over every edit. Not validated: it is the version the edits
   * started from; undo brings the edits back.
   */
  restore(text: string): Promise<EditResult> {
    return this.serialized(() => {
      const current = this.readText();
      if (current === text) return { ok: true, changed: false };
      this.remember(current);
      this.replace(text);
      return { ok: true, changed: true };
    });
  }

  private serialized(run: () => EditResult): Promise<EditResult> {
    const next = this.queue.then(run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private remember(text: string): void {
    this.history.push(text);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
  }

  private tempFile(): string {
    return path.join(
      path.dirname(this.stackFile),
      `.${path.basename(this.stackFile)}.${randomBytes(6).toString("hex")}.console-tmp`,
    );
  }

  private replace(text: string): void {
    const temp = this.tempFile();
    writeFileDurably(temp, text, statSync(this.stackFile).mode & 0o777);
    try {
      renameSync(temp, this.stackFile);
      fsyncDirectory(path.dirname(this.stackFile));
      this.lastWritten = text;
    } finally {
      rmSync(temp, { force: true });
    }
  }

  private editNow(edit: (doc: Document) => EditFocus | undefined, dryRun: boolean): EditResult {
    const before = this.readText();
    const doc = parseDocument(before);
    if (doc.errors.length > 0) {
      const message = `the stack file is not valid YAML: ${doc.errors[0].message}`;
      return { ok: false, status: 409, problems: [generalProblem(message)] };
    }
    let focus: EditFocus | undefined;
    try {
      focus = edit(doc);
    } catch (error) {
      if (error instanceof EditRefused)
        return { ok: false, status: error.status, problems: toConsoleProblems(error.problems) };
      throw error;
    }
    const text = doc.toString(YAML_FORMAT);
    if (text === before) return { ok: true, changed: false };

    const temp = this.tempFile();
    writeFileDurably(temp, text, statSync(this.stackFile).mode & 0o777);
    try {
      const result = validateStackFile(temp, this.projectDir, this.lastDeployment(), focus);
      if (!result.ok) return { ok: false, status: 400, problems: result.problems };
      if (dryRun) return { ok: true, changed: true };
      renameSync(temp, this.stackFile);
      fsyncDirectory(path.dirname(this.stackFile));
      this.remember(before);
      this.lastWritten = text;
      return { ok: true, changed: true };
    } finally {
      rmSync(temp, { force: true });
    }
  }
}
