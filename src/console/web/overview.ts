/// <reference lib="dom" />
import type { LiveView, PoolView, StateView } from "./api";
import { formatAmount } from "../../units";
import { h, svg, table, type Child } from "./dom";
import { liveCard } from "./live";
import { stateBadge } from "./servers";

/** The overview: nodes, load balancers, the resource pool as bars, tenants, and the live cluster. */

const TENANT_COLOURS = [
  "#3b82f6",
  "#f59e0b",
  "#8b5cf6",
  "#ec4899",
  "#14b8a6",
  "#ef4444",
  "#84cc16",
  "#6366f1",
];
const RESOURCES = ["cpu", "memory", "storage"] as const;
const RESOURCE_LABELS = { cpu: "CPU", memory: "Memory", storage: "Storage" };

function percent(used: number, total: number): string {
  return total > 0 ? `${Math.round((used / total) * 100)}%` : "–";
}

function poolChart(pool: PoolView, tenants: string[]): HTMLElement {
  const width = 640;
  const barHeight = 26;
  const rowHeight = 64;
  const left = 90;
  const barWidth = width - left - 10;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${RESOURCES.length * rowHeight + 10}`,
    class: "pool-chart",
    role: "img",
    "aria-label": "Resource pool: capacity, reserved, promised to tenants and free, per resource",
  });
  RESOURCES.forEach((resource, row) => {
    const y = row * rowHeight + 10;
    const reserved = Math.min(pool.reserved[resource], pool.capacity[resource]);
    const promisable = pool.allocatable[resource] * pool.overcommit[resource];
    const scale = Math.max(
      pool.capacity[resource],
      reserved + promisable,
      reserved + pool.allocated[resource],
      1e-9,
    );
    const x = (amount: number) => left + (amount / scale) * barWidth;
    chart.appendChild(
      svg("text", { x: 0, y: y + barHeight / 2 + 5, class: "chart-label" }, RESOURCE_LABELS[resource]),
    );
    chart.appendChild(svg("rect", { x: left, y, width: barWidth, height: barHeight, class: "bar-bg" }));
    chart.appendChild(
      svg(
        "rect",
        { x: left, y, width: x(reserved) - left, height: barHeight, class: "bar-reserved" },
        svg("title", {}, `reserved for the system: ${formatAmount(resource, reserved)}`),
      ),
    );
    let offset = reserved;
    pool.byTenant.forEach((entry) => {
      const amount = entry.amounts[resource];
      if (amount <= 0) return;
      const colour = TENANT_COLOURS[tenants.indexOf(entry.tenant) % TENANT_COLOURS.length];
      chart.appendChild(
        svg(
          "rect",
          {
            x: x(offset),
            y,
            width: Math.max(0, x(offset + amount) - x(offset)),
            height: barHeight,
            fill: colour,
            class: "bar-tenant",
          },
          svg("title", {}, `${entry.tenant}: ${formatAmount(resource, amount)}`),
        ),
      );
      offset += amount;
    });
    const free = pool.free[resource];
    if (free > 0) {
      chart.appendChild(
        svg(
          "rect",
          {
            x: x(offset),
            y,
            width: Math.max(0, x(offset + free) - x(offset)),
            height: barHeight,
            class: "bar-free",
          },
          svg("title", {}, `free: ${formatAmount(resource, free)}`),
        ),
      );
    }
    if (pool.overcommit[resource] !== 1 || free < 0) {
      chart.appendChild(
        svg("line", {
          x1: x(reserved + promisable),
          x2: x(reserved + promisable),
          y1: y - 4,
          y2: y + barHeight + 4,
          class: "bar-limit",
        }),
      );
    }
    chart.appendChild(
      svg(
        "text",
        { x: left, y: y + barHeight + 18, class: "chart-caption" },
        `capacity ${formatAmount(resource, pool.capacity[resource])} · reserved ${formatAmount(resource, reserved)} · promised ${formatAmount(resource, pool.allocated[resource])} · free ${formatAmount(resource, free)}` +
          (pool.overcommit[resource] !== 1 ? ` (overcommit ×${pool.overcommit[resource]})` : ""),
      ),
    );
  });
  const legend = h(
    "div",
    { class: "legend" },
    h("span", {}, h("i", { class: "swatch reserved" }), "reserved for the system"),
    ...tenants.map((tenant, index) => {
      const swatch = h("i", { class: "swatch" });
      swatch.style.background = TENANT_COLOURS[index % TENANT_COLOURS.length];
      return h("span", {}, swatch, `promised to ${tenant}`);
    }),
    h("span", {}, h("i", { class: "swatch free" }), "free"),
  );
  return h("div", {}, chart, legend);
}

function usage(used: string | undefined, hard: string | undefined): string {
  return `${used ?? "0"} / ${hard ?? "–"}`;
}

export function renderOverview(state: StateView, live: LiveView | undefined): HTMLElement {
  const parts: Child[] = [];
  if (!state.valid) {
    parts.push(
      h(
        "section",
        { class: "card problems" },
        h("h2", {}, `${state.stackFile} is not valid`),
        h("ul", {}, ...state.problems.map((problem) => h("li", { class: "problem-line" }, problem.line))),
      ),
    );
    parts.push(liveCard(live));
    return h("div", {}, ...parts);
  }
  const liveNodes = new Map(live?.connected ? live.nodes.map((node) => [node.name, node]) : []);
  const connected = live?.connected === true;
  const nodes = state.nodes;
  parts.push(
    h(
      "section",
      { class: "card" },
      h("h2", {}, `Nodes (${nodes.length})`),
      table(
        [
          "Name",
          "Role",
          "Type",
          "Location",
          "Private IP",
          "Volume",
          "Deployment",
          ...(connected ? ["Live", "Kubelet", "CPU", "Memory"] : []),
        ],
        nodes.map((node) => {
          const seen = liveNodes.get(node.serverName) ?? liveNodes.get(node.name);
          const liveCells: Child[] = connected
            ? [
                seen
                  ? h("span", { class: `badge ${seen.ready ? "on" : "off"}` }, seen.status)
                  : h("span", { class: "badge muted" }, "not registered"),
                seen?.kubeletVersion ?? "–",
                seen?.cpu ? percent(seen.cpu.usedCores, seen.cpu.capacityCores) : "–",
                seen?.memory ? percent(seen.memory.usedBytes, seen.memory.capacityBytes) : "–",
              ]
            : [];
          return [
            h("strong", {}, node.name),
            h("span", { class: `role ${node.role}` }, node.role),
            node.serverType,
            node.location,
            h("code", {}, node.privateIp),
            node.volumeSizeGb ? `${node.volumeSizeGb} GB` : "–",
            stateBadge(node),
            ...liveCells,
          ];
        }),
        { id: "nodes-table" },
      ),
    ),
  );
  parts.push(liveCard(live));
  parts.push(
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Load balancers"),
      table(
        ["Name", "Type", "Private IP", "Public", "Services"],
        state.loadBalancers.map((lb) => [
          h("strong", {}, lb.name),
          lb.type,
          h("code", {}, lb.privateIp),
          lb.publicInterface ? "yes" : "private only",
          lb.services.map((service) => `${service.listenPort}→${service.destinationPort}`).join(", "),
        ]),
      ),
    ),
  );
  const tenants = state.tenants;
  {
    parts.push(
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Resource pool"),
        h(
          "p",
          { class: "hint" },
          "What the nodes offer, what each node keeps for the system, what the tenants' quota requests promise, and what is left.",
        ),
        poolChart(
          state.pool,
          tenants.map((tenant) => tenant.name),
        ),
      ),
    );
  }
  const quotas = live?.connected ? live.quotas : [];
  parts.push(
    h(
      "section",
      { class: "card" },
      h("h2", {}, `Tenants (${tenants.length})`),
      tenants.length === 0
        ? h("p", { class: "hint" }, "No tenants yet. Add one on the Tenants page.")
        : table(
            [
              "Name",
              "Namespaces",
              "Users",
              "Requests CPU / memory",
              "Storage",
              "Pod security",
              ...(connected ? ["Live usage (requests cpu, memory, pods)"] : []),
            ],
            tenants.map((tenant) => [
              h("strong", {}, tenant.name),
              tenant.namespaces.join(", "),
              tenant.users.join(", ") || "–",
              `${tenant.quota.requestsCpu} / ${tenant.quota.requestsMemory}`,
              String(tenant.quota.storage),
              tenant.podSecurity,
              ...(connected
                ? [
                    h(
                      "div",
                      { class: "quota-usage" },
                      ...quotas
                        .filter(
                          (quota) => quota.tenant === tenant.name && quota.hard["requests.cpu"] !== undefined,
                        )
                        .map((quota) =>
                          h(
                            "div",
                            {},
                            h("code", {}, quota.namespace),
                            ` cpu ${usage(quota.used["requests.cpu"], quota.hard["requests.cpu"])}, memory ${usage(quota.used["requests.memory"], quota.hard["requests.memory"])}, pods ${usage(quota.used.pods, quota.hard.pods)}`,
                          ),
                        ),
                    ),
                  ]
                : []),
            ]),
            { id: "tenants-table" },
          ),
    ),
  );
  return h("div", {}, ...parts);
}
