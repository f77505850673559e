import { REBOOT_WINDOW_DEFAULT } from "../../src/config/schema";
import { key, parsedAfter, problemsAfter } from "./fixtures";

/** rebootsEnabled and rebootWindow: the keys of coordinated reboots after OS updates (kured). */

const window = (value: unknown) => problemsAfter((raw) => (raw[key("rebootWindow")] = value));

describe("reboot settings", () => {
  it("default to reboots on, weekday nights 02:00 to 05:00 UTC", () => {
    const config = parsedAfter(() => undefined);
    expect(config.rebootsEnabled).toBe(true);
    expect(config.rebootWindow).toEqual({
      days: ["mo", "tu", "we", "th", "fr"],
      start: "02:00",
      end: "05:00",
      timeZone: "UTC",
    });
    // Each parse gets its own copy: editing one config never changes the default.
    config.rebootWindow.days.push("sa");
    expect(REBOOT_WINDOW_DEFAULT.days).toHaveLength(5);
    expect(parsedAfter(() => undefined).rebootWindow.days).toHaveLength(5);
  });

  it("fill the fields a stack leaves out with their defaults", () => {
    const config = parsedAfter((raw) => (raw[key("rebootWindow")] = { timeZone: "Europe/Berlin" }));
    expect(config.rebootWindow).toEqual({ ...REBOOT_WINDOW_DEFAULT, timeZone: "Europe/Berlin" });
  });

  it("accept a window past midnight, every day and any IANA zone", () => {
    expect(
      window({
        days: ["su", "mo", "tu", "we", "th", "fr", "sa"],
        start: "22:30",
        end: "01:00",
        timeZone: "Asia/Tokyo",
      }),
    ).toEqual([]);
    expect(window({ timeZone: "America/New_York" })).toEqual([]);
    expect(window({ timeZone: "Etc/UTC" })).toEqual([]);
  });

  it("take the structured value as the Pulumi runtime passes it, as JSON text", () => {
    const config = parsedAfter(
      (raw) => (raw[key("rebootWindow")] = JSON.stringify({ days: ["sa"], start: "03:00", end: "04:00" })),
    );
    expect(config.rebootWindow).toEqual({ days: ["sa"], start: "03:00", end: "04:00", timeZone: "UTC" });
  });

  it("refuse a day kured does not know, naming the entry", () => {
    expect(window({ days: ["mo", "monday", "xx"] })).toEqual([
      'hetzner-k8s:rebootWindow.days[1]: "monday" is not a day: use one of su, mo, tu, we, th, fr, sa',
      'hetzner-k8s:rebootWindow.days[2]: "xx" is not a day: use one of su, mo, tu, we, th, fr, sa',
    ]);
    expect(window({ days: ["Mo"] })).toEqual([
      'hetzner-k8s:rebootWindow.days[0]: "Mo" is not a day: use one of su, mo, tu, we, th, fr, sa',
    ]);
  });

  it("refuse an empty or repeated day list", () => {
    expect(window({ days: [] })).toEqual([
      "hetzner-k8s:rebootWindow.days: lists no day: no node would ever reboot (of su, mo, tu, we, th, fr, sa)",
    ]);
    expect(window({ days: ["mo", "tu", "mo"] })).toEqual([
      'hetzner-k8s:rebootWindow.days[2]: "mo" is listed twice',
    ]);
  });

  it("refuse a time that is not HH:MM, and an empty window", () => {
    expect(window({ start: "2:00", end: "24:00" })).toEqual([
      'hetzner-k8s:rebootWindow.start: "2:00" is not a time of day HH:MM (e.g. 02:00)',
      'hetzner-k8s:rebootWindow.end: "24:00" is not a time of day HH:MM (e.g. 02:00)',
    ]);
    expect(window({ start: "3am" })).toEqual([
      'hetzner-k8s:rebootWindow.start: "3am" is not a time of day HH:MM (e.g. 02:00)',
    ]);
    expect(window({ start: "04:00", end: "04:00" })).toEqual([
      "hetzner-k8s:rebootWindow.end: is the same as start (04:00): the window would be empty",
    ]);
  });

  it("refuse a zone that is not an IANA name, or one written in another case", () => {
    expect(window({ timeZone: "Mars/Olympus" })).toEqual([
      'hetzner-k8s:rebootWindow.timeZone: "Mars/Olympus" is not an IANA time zone (e.g. UTC, Europe/Berlin)',
    ]);
    expect(window({ timeZone: "+01:00" })).toEqual([
      'hetzner-k8s:rebootWindow.timeZone: "+01:00" is not an IANA time zone (e.g. UTC, Europe/Berlin)',
    ]);
    // Intl ignores case; kured's Go loads the zone file by its exact name.
    expect(window({ timeZone: "europe/berlin" })).toEqual([
      'hetzner-k8s:rebootWindow.timeZone: "europe/berlin" must be written "Europe/Berlin" (time zone names are case-sensitive)',
    ]);
    expect(window({ timeZone: "utc" })).toEqual([
      'hetzner-k8s:rebootWindow.timeZone: "utc" must be written "UTC" (time zone names are case-sensitive)',
    ]);
  });

  it("report every problem of the window at once", () => {
    expect(window({ days: ["xx"], start: "25:00", timeZone: "Nowhere" })).toHaveLength(3);
  });

  it("refuse an unknown field and a wrong type, naming the key", () => {
    const unknown = window({ days: ["mo"], zone: "UTC" });
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatch(/^hetzner-k8s:rebootWindow(\.zone)?: /);
    const wrong = window({ days: "mo" });
    expect(wrong).toHaveLength(1);
    expect(wrong[0]).toMatch(/^hetzner-k8s:rebootWindow\.days: /);
    const flag = problemsAfter((raw) => (raw[key("rebootsEnabled")] = "yes"));
    expect(flag).toHaveLength(1);
    expect(flag[0]).toMatch(/^hetzner-k8s:rebootsEnabled: /);
  });
});
