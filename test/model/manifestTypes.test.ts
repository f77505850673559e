import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import { manifestOf, metadata, namespaceManifest } from "../../src/model/platform/common";

// The checks here are made by the compiler (tsc --noEmit over test/): each @ts-expect-error fails the
// build if manifestOf stops refusing the mistake below it.

describe("manifestOf", () => {
  it("returns the very object it was given", () => {
    const object = {
      apiVersion: "v1" as const,
      kind: "ConfigMap" as const,
      metadata: metadata("x"),
      data: {},
    };
    expect(manifestOf<IConfigMap>(object)).toBe(object);
  });

  it("leaves plain data: no class instances", () => {
    const manifest = namespaceManifest("example");
    expect(Object.getPrototypeOf(manifest)).toBe(Object.prototype);
    expect(manifest).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: metadata("example"),
    });
  });

  it("refuses a misspelt field, a wrong kind and a wrong value type at compile time", () => {
    const typo = () =>
      manifestOf<IConfigMap>({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: metadata("x"),
        // @ts-expect-error `datas` is no field of a ConfigMap
        datas: {},
      });
    const wrongKind = () =>
      manifestOf<IConfigMap>({
        apiVersion: "v1",
        // @ts-expect-error a ConfigMap's kind is "ConfigMap"
        kind: "Secret",
        metadata: metadata("x"),
      });
    const nestedTypo = () =>
      manifestOf<IDeployment>({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: metadata("x"),
        spec: {
          selector: {},
          // @ts-expect-error `replica` is no field of a DeploymentSpec
          replica: 1,
          template: {},
        },
      });
    const wrongType = () =>
      manifestOf<IDeployment>({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: metadata("x"),
        // @ts-expect-error replicas is a number
        spec: { selector: {}, replicas: "1", template: {} },
      });
    expect([typo, wrongKind, nestedTypo, wrongType].every((f) => typeof f === "function")).toBe(true);
  });
});
