import * as pulumi from "@pulumi/pulumi";

/** A resource of its own that a component under test waits for (a bootstrap, a namespace it does not own). */
export class StandIn extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:StandIn", name, {});
  }
}
