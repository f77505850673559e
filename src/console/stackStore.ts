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
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument, type Document, type ToStringOptions } from "yaml";
import { ConfigError, formatProblem, type ConfigProblem } from "../config/errors";
import { parseStackConfig } from "../config/load";
import type { StackConfig } from "../config/schema";
import { assertSafeTransition, type LastDeployment } from "../config/transition";
import { readStackConfig, readStackSecretKeys } from "../plan/stackFile";

/**
 * The stack file as the console reads and writes it. Every write is validated by the project's own
 * parser (and the transition rules against the committed version) before it replaces the file, and
 * replaces it atomically: a temp file in the same directory, fsynced, then renamed over the original.
 */

/** With these options an untouched document prints byte for byte as it was read. */
export const YAML_FORMAT: ToStringOptions = { lineWidth: 0, flowCollectionPadding: false };

export interface ConsoleProblem {
  path: (string | number)[];
  message: string;
  /** `hetzner-k8s:nodes[3].serverType: ...`, as the plan prints it. */
  line: string;
  /** The form field the problem belongs to (`serverType`, `quota.pods`), when it is about the edited entry. */
  field?: string;
}

/** Which list entry an edit is about, so that problems can be mapped to its form fields. */
export interface EditFocus {
  key: "nodes" | "tenants";
  index: number;
}

export type Validation = { ok: true; config: StackConfig } | { ok: false; problems: ConsoleProblem[] };

export type EditResult = { ok: true } | { ok: false; status: number; problems: ConsoleProblem[] };

/** Thrown by an edit function to refuse the edit with problems of its own. */
export class EditRefused extends Error {
  constructor(
    readonly problems: ConfigProblem[],
    readonly status = 400,
  ) {
    super(problems.map((problem) => problem.message).join("; "));
  }
}

export function toConsoleProblems(problems: readonly ConfigProblem[], focus?: EditFocus): ConsoleProblem[] {
  return problems.map((problem) => {
    const result: ConsoleProblem = {
      path: [...problem.path],
      message: problem.message,
      line: formatProblem(problem),
    };
    const [key, index, ...rest] = problem.path;
    if (focus && key === focus.key && index === focus.index && rest.length > 0) result.field = rest.join(".");
    return result;
  });
}

/** Validates a stack file on disk exactly as `npm run plan` does, plus the transition rules when given. */
export function validateStackFile(
  stackFile: string,
  projectDir: string,
  lastDeployment?: LastDeployment,
  focus?: EditFocus,
): Validation {
  try {
    const config = parseStackConfig(
      readStackConfig(stackFile, projectDir),
      readStackSecretKeys(stackFile),
      lastDeployment?.nodes,
    );
    if (lastDeployment) assertSafeTransition(lastDeployment, config);
    return { ok: true, config };
  } catch (error) {
    if (error instanceof ConfigError)
      return { ok: false, problems: toConsoleProblems(error.problems, focus) };
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, problems: [{ path: [], message, line: message }] };
  }
}

/** Validates stack file text that is not on disk (the committed version) through a private temp file. */
export function validateStackText(text: string, projectDir: string): Validation {
  const file = path.join(tmpdir(), `hetzner-k8s-console-${randomBytes(8).toString("hex")}.yaml`);
  writeFileDurably(file, text, 0o600);
  try {
    return validateStackFile(file, projectDir);
  } finally {
    rmSync(file, { force: true });
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

export class StackStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly stackFile: string,
    readonly projectDir: string,
    /** The nodes of the committed version, which edits must change safely from (undefined: none known). */
    private readonly lastDeployment: () => LastDeployment | undefined,
  ) {}

  readText(): string {
    return readFileSync(this.stackFile, "utf8");
  }

  validateCurrent(): Validation {
    return validateStackFile(this.stackFile, this.projectDir);
  }

  /**
   * Applies `edit` to the parsed document and writes the result if, and only if, the whole stack is
   * valid afterwards. Edits are serialized so that each one starts from the file the previous one wrote.
   */
  edit(
    edit: (doc: Document) => EditFocus | undefined,
    extraProblems: ConfigProblem[] = [],
  ): Promise<EditResult> {
    const run = this.queue.then(() => this.editNow(edit, extraProblems));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private editNow(
    edit: (doc: Document) => EditFocus | undefined,
    extraProblems: ConfigProblem[],
  ): EditResult {
    const before = this.readText();
    const doc = parseDocument(before);
    if (doc.errors.length > 0) {
      const message = `the stack file is not valid YAML: ${doc.errors[0].message}`;
      return { ok: false, status: 409, problems: [{ path: [], message, line: message }] };
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
    if (text === before) return { ok: true };

    const directory = path.dirname(this.stackFile);
    const temp = path.join(
      directory,
      `.${path.basename(this.stackFile)}.${randomBytes(6).toString("hex")}.console-tmp`,
    );
    writeFileDurably(temp, text, statSync(this.stackFile).mode & 0o777);
    try {
      const result = validateStackFile(temp, this.projectDir, this.lastDeployment(), focus);
      const problems = [...toConsoleProblems(extraProblems, focus), ...(result.ok ? [] : result.problems)];
      if (problems.length > 0) return { ok: false, status: 400, problems };
      renameSync(temp, this.stackFile);
      fsyncDirectory(directory);
      return { ok: true };
    } finally {
      rmSync(temp, { force: true });
    }
  }
}
