import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("hetzner-k8s", { policies, enforcementLevel: "mandatory" });
