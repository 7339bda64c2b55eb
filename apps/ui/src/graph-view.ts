import ELK from 'elkjs/lib/elk-api.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import { h, svg } from './dom';
import { GraphTask, VisibleGraph, VisibleNode } from './task-graph';

const NODE_WIDTH = 210;
const NODE_HEIGHT = 58;
/** How many drawn tasks make a graph large, laid out for speed rather than looks. */
const LARGE = 300;
/** The margin around a graph fitted to the screen, in pixels; below it the legend and the buttons take more. */
const FIT_PAD = 32;
const FIT_PAD_BOTTOM = 96;
/** Below this scale a node's label is too small to read: a wide graph is wrapped into rows. */
const READABLE_SCALE = 0.6;

/**
 * ELK's request for the graph: layered, left to right; with `wrapTo`, the layers wrapped into
 * rows so that the drawing's width over height comes near that ratio. Past a few hundred drawn
 * tasks the layout trades looks for time: ELK's default node placement and orthogonal edges take
 * 3 to 8 s for 1,000 tasks on a slow machine, the simple placement with straight edges about 1 s.
 */
function layoutRequest(graph: VisibleGraph, wrapTo?: number): ElkNode {
  const large = graph.nodes.length > LARGE;
  return {
    id: 'plan',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.edgeRouting': large ? 'POLYLINE' : 'ORTHOGONAL',
      'elk.spacing.nodeNode': '22',
      'elk.layered.spacing.nodeNodeBetweenLayers': '64',
      'elk.layered.thoroughness': large ? '1' : '7',
      ...(large ? { 'elk.layered.nodePlacement.strategy': 'SIMPLE' } : {}),
      ...(wrapTo ? { 'elk.layered.wrapping.strategy': 'SINGLE_EDGE', 'elk.aspectRatio': wrapTo.toFixed(2) } : {}),
    },
    children: graph.nodes.map((node) => ({ id: node.task.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: graph.edges.map((edge) => ({ id: edge.id, sources: [edge.source], targets: [edge.target] })),
  };
}
/**
 * ELK runs in a Web Worker (elk-worker.min.js, which scripts/build-ui.mjs puts beside app.js), so
 * laying out a large plan never freezes the page: it still zooms, pans and shows a task meanwhile.
 */
const WORKER_URL = (document.currentScript as HTMLScriptElement | null)?.src.replace(/app\.js(\?.*)?$/, 'elk-worker.min.js') ?? '/ui/assets/elk-worker.min.js';
const elk = new ELK({ workerUrl: WORKER_URL });

export interface GraphEvents {
  select(taskId: string): void;
  toggle(taskId: string): void;
}

/**
 * The plan as an SVG graph laid out by elkjs (layered, left to right): one `<g>` per drawn task
 * with `data-task-id` and `data-status`, zoomed with the wheel or the buttons and moved by dragging.
 */
export class GraphView {
  readonly element: HTMLElement;
  private readonly canvas: SVGSVGElement;
  private readonly viewport: SVGGElement;
  private readonly nodes = new Map<string, SVGGElement>();
  private view = { x: 0, y: 0, scale: 1 };
  private size = { width: 0, height: 0 };
  private selected: string | undefined;
  /** Renders begun: only the latest one's layout is drawn. */
  private rounds = 0;
  /** Whether the view was zoomed or moved by hand since it was last fitted. */
  private moved = false;

  constructor(private readonly events: GraphEvents) {
    this.viewport = svg('g', { class: 'viewport' });
    this.canvas = svg('svg', { class: 'graph-canvas' }, this.viewport);
    const zoomBy = (factor: number) => () => this.zoomAt(factor, this.canvas.clientWidth / 2, this.canvas.clientHeight / 2);
    const controls = h(
      'div',
      { class: 'graph-controls' },
      h('button', { type: 'button', title: 'Zoom in', 'data-action': 'zoom-in', onclick: zoomBy(1.25) }, '+'),
      h('button', { type: 'button', title: 'Zoom out', 'data-action': 'zoom-out', onclick: zoomBy(0.8) }, '−'),
      h('button', { type: 'button', title: 'Fit to screen', 'data-action': 'fit', onclick: () => this.fitToScreen() }, 'Fit'),
    );
    this.element = h('div', { class: 'graph' }, this.canvas, legend(), controls);
    this.canvas.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });
    this.enableDragging();
    window.addEventListener('resize', () => !this.moved && this.fitToScreen());
  }

  async render(graph: VisibleGraph, options: { fit: boolean }): Promise<void> {
    const began = performance.now();
    const round = ++this.rounds;
    this.element.dataset.layingOut = String(graph.nodes.length);
    let layout: ElkNode;
    try {
      layout = await this.layOut(graph);
    } finally {
      if (round === this.rounds) delete this.element.dataset.layingOut;
    }
    // A later render (a click on + or − while this one ran) draws instead.
    if (round !== this.rounds) return;
    // How long the last layout took, for whoever watches the page at scale (the browser test reads it).
    this.element.dataset.layoutMs = String(Math.round(performance.now() - began));
    this.viewport.replaceChildren();
    this.nodes.clear();
    const kinds = new Map(graph.edges.map((e) => [e.id, e.kind]));
    const edgeLayer = svg('g', { class: 'edges' });
    for (const edge of (layout.edges ?? []) as ElkExtendedEdge[]) edgeLayer.append(this.edgePath(edge, kinds.get(edge.id) ?? 'depends'));
    const nodeLayer = svg('g', { class: 'nodes' });
    const byId = new Map(graph.nodes.map((n) => [n.task.id, n]));
    for (const placed of layout.children ?? []) nodeLayer.append(this.nodeGroup(byId.get(placed.id)!, placed));
    this.viewport.append(svg('defs', {}, arrowHead()), edgeLayer, nodeLayer);
    this.size = { width: layout.width ?? 0, height: layout.height ?? 0 };
    if (this.selected) this.select(this.selected);
    // Until someone zooms or pans, the whole graph stays on screen as it grows (a wall screen).
    if (options.fit || !this.moved) this.fitToScreen();
    else this.apply();
  }

  /**
   * The graph laid out left to right. A plan much wider than the screen (a long chain, say) would
   * fit only at a scale too small to read: it is laid out again with its layers wrapped into rows
   * of the screen's shape, and the layout that fits at the larger scale is kept.
   */
  private async layOut(graph: VisibleGraph): Promise<ElkNode> {
    const straight = await elk.layout(layoutRequest(graph));
    const screen = this.screen();
    if (this.fitScale(straight) >= READABLE_SCALE || (straight.width ?? 0) / Math.max(1, straight.height ?? 0) < screen.width / screen.height) return straight;
    const wrapped = await elk.layout(layoutRequest(graph, screen.width / screen.height));
    return this.fitScale(wrapped) > this.fitScale(straight) ? wrapped : straight;
  }

  private screen(): { width: number; height: number } {
    return { width: this.canvas.clientWidth || 800, height: this.canvas.clientHeight || 600 };
  }

  /** The scale at which a layout fits the screen, at most 1.6. */
  private fitScale(layout: { width?: number; height?: number }): number {
    const { width, height } = this.screen();
    return Math.min(1.6, (width - FIT_PAD * 2) / Math.max(1, layout.width ?? 0), (height - FIT_PAD - FIT_PAD_BOTTOM) / Math.max(1, layout.height ?? 0));
  }

  /** A task's new status, and the agent that took it (in place of its capabilities) once one has. */
  setStatus(taskId: string, status: string, agentId?: string): void {
    const node = this.nodes.get(taskId);
    node?.setAttribute('data-status', status);
    const detail = node?.querySelector('.node-detail');
    if (agentId && detail && !node!.querySelector('[data-action="expand"]')) detail.textContent = clip(agentId, 27);
  }

  select(taskId: string | undefined): void {
    this.selected = taskId;
    for (const [id, node] of this.nodes) node.classList.toggle('selected', id === taskId);
  }

  fitToScreen(): void {
    this.moved = false;
    const { width, height } = this.screen();
    const scale = this.fitScale(this.size);
    this.view = { scale, x: (width - this.size.width * scale) / 2, y: FIT_PAD + (height - FIT_PAD - FIT_PAD_BOTTOM - this.size.height * scale) / 2 };
    this.apply();
  }

  private edgePath(edge: ElkExtendedEdge, kind: string): SVGPathElement {
    const points = (edge.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
    return svg('path', { d, class: `edge edge-${kind}`, 'marker-end': kind === 'depends' ? 'url(#arrow)' : undefined });
  }

  private nodeGroup(node: VisibleNode, placed: ElkNode): SVGGElement {
    const { task } = node;
    const label = task.title ?? task.id;
    const detail = node.collapsed ? `${node.descendants} tasks inside` : (task.agentId ?? task.note ?? task.capabilities.join(', '));
    const group = svg(
      'g',
      {
        class: task.reusedFrom ? 'node reused' : 'node',
        'data-task-id': task.id,
        'data-status': task.status,
        transform: `translate(${placed.x},${placed.y})`,
        tabindex: 0,
        role: 'button',
      },
      svg('title', {}, `${task.id} (${task.status})`),
      svg('rect', { class: 'node-box', width: NODE_WIDTH, height: NODE_HEIGHT, rx: 10 }),
      svg('rect', { class: 'node-band', width: 8, height: NODE_HEIGHT, rx: 4 }),
      svg('text', { class: 'node-label', x: 20, y: 24 }, clip(label, node.descendants > 0 ? 18 : 21)),
      svg('text', { class: 'node-detail', x: 20, y: 44 }, clip(detail, 27)),
      node.collapsed ? hiddenBar(node) : null,
      ...markerTags(markers(task)),
    );
    group.addEventListener('click', () => this.events.select(task.id));
    group.addEventListener('keydown', (event) => event.key === 'Enter' && this.events.select(task.id));
    if (node.descendants > 0) {
      const toggle = svg(
        'g',
        { class: 'node-toggle', 'data-action': node.collapsed ? 'expand' : 'collapse', transform: `translate(${NODE_WIDTH - 22},${NODE_HEIGHT / 2})` },
        svg('title', {}, node.collapsed ? `Expand ${node.descendants} tasks` : 'Collapse this subtree'),
        svg('circle', { r: 11 }),
        svg('text', { y: 4 }, node.collapsed ? '+' : '−'),
      );
      toggle.addEventListener('click', (event) => {
        event.stopPropagation();
        this.events.toggle(task.id);
      });
      group.append(toggle);
    }
    this.nodes.set(task.id, group);
    return group;
  }

  private apply(): void {
    this.viewport.setAttribute('transform', `translate(${this.view.x},${this.view.y}) scale(${this.view.scale})`);
  }

  private zoomAt(factor: number, x: number, y: number): void {
    this.moved = true;
    const scale = Math.min(4, Math.max(0.05, this.view.scale * factor));
    const applied = scale / this.view.scale;
    this.view = { scale, x: x - (x - this.view.x) * applied, y: y - (y - this.view.y) * applied };
    this.apply();
  }

  private onWheel(event: WheelEvent): void {
    event.preventDefault();
    const box = this.canvas.getBoundingClientRect();
    this.zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - box.left, event.clientY - box.top);
  }

  private enableDragging(): void {
    let from: { x: number; y: number } | undefined;
    this.canvas.addEventListener('pointerdown', (event) => {
      if ((event.target as Element).closest('.node')) return;
      from = { x: event.clientX - this.view.x, y: event.clientY - this.view.y };
      this.canvas.setPointerCapture(event.pointerId);
      this.canvas.classList.add('dragging');
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (!from) return;
      this.moved = true;
      this.view = { ...this.view, x: event.clientX - from.x, y: event.clientY - from.y };
      this.apply();
    });
    const stop = () => {
      from = undefined;
      this.canvas.classList.remove('dragging');
    };
    this.canvas.addEventListener('pointerup', stop);
    this.canvas.addEventListener('pointercancel', stop);
  }
}

function clip(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

type Marker = 'wait' | 'signal' | 'reused';

/** The markers of a task: a durable wait's clock, a signal's bell, a fork's reused output. */
function markers(task: GraphTask): Marker[] {
  const found: Marker[] = [];
  if (task.kind === 'wait' || task.kind === 'signal') found.push(task.kind);
  if (task.reusedFrom) found.push('reused');
  return found;
}

/** Each tag's width: its icon and its word. */
const MARKER_WIDTH: Record<Marker, number> = { wait: 54, signal: 66, reused: 72 };

/** The icon of a marker, drawn in a 12×12 box centred on 0,0 (shapes, so no font needs the glyph). */
function markerIcon(marker: Marker): SVGGElement {
  const paths: Record<Marker, string[]> = {
    wait: ['M0,-3.5 L0,0 L2.5,1.8'],
    signal: ['M-4.5,2.5 C-4,-1 -4,-5 0,-5 C4,-5 4,-1 4.5,2.5 Z', 'M-1.5,4.2 L1.5,4.2'],
    reused: ['M4.5,-1 A4.8,4.8 0 1 0 3.2,3.6', 'M4.6,-4.6 L4.6,-0.6 L0.8,-0.8'],
  };
  return svg('g', { class: 'marker-icon' }, marker === 'wait' ? svg('circle', { r: 5.2 }) : null, ...paths[marker].map((d) => svg('path', { d })));
}

/** The tags of a node's markers, side by side from its top-right corner leftwards. */
function markerTags(list: readonly Marker[]): SVGGElement[] {
  let right = NODE_WIDTH - 14;
  return list.map((marker) => {
    const tag = markerTag(marker, right);
    right -= MARKER_WIDTH[marker] + 6;
    return tag;
  });
}

/** A tag on a node's top edge naming a marker, its right end at `right`. */
function markerTag(marker: Marker, right: number): SVGGElement {
  const x = right - MARKER_WIDTH[marker];
  return svg(
    'g',
    { class: `marker marker-${marker}`, 'data-marker': marker, transform: `translate(${x},-9)` },
    svg('rect', { width: MARKER_WIDTH[marker], height: 18, rx: 9 }),
    svg('g', { transform: 'translate(12,9)' }, markerIcon(marker)),
    svg('text', { x: 23, y: 13 }, marker),
  );
}

function arrowHead(): SVGMarkerElement {
  return svg(
    'marker',
    { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }),
  );
}

const ORDER = ['completed', 'running', 'ready', 'paused', 'waiting', 'failed', 'skipped', 'cancelled'];

/** What each node colour means, and how the two kinds of edge read. */
function legend(): HTMLElement {
  const swatch = (status: string) => h('li', { class: `legend-item status-${status}`, 'data-legend': status }, h('i', { class: 'swatch' }), status);
  return h(
    'div',
    { class: 'legend', 'aria-label': 'Legend' },
    h('ul', {}, ...['waiting', 'ready', 'running', 'paused', 'completed', 'failed', 'skipped', 'cancelled'].map(swatch)),
    h(
      'ul',
      {},
      h('li', { class: 'legend-edge' }, h('i', { class: 'edge-sample depends' }), 'waits for'),
      h('li', { class: 'legend-edge' }, h('i', { class: 'edge-sample contains' }), 'subtask of'),
      ...(['wait', 'signal', 'reused'] as const).map((marker) =>
        h('li', { class: `legend-marker marker-${marker}`, 'data-legend-marker': marker }, legendIcon(marker), LEGEND_MARKERS[marker]),
      ),
    ),
  );
}

const LEGEND_MARKERS: Record<Marker, string> = { wait: 'durable wait', signal: 'waits for a signal', reused: 'reused by a fork' };

function legendIcon(marker: Marker): SVGSVGElement {
  return svg('svg', { class: 'legend-icon', width: 16, height: 16, viewBox: '-8 -8 16 16' }, markerIcon(marker));
}

/** A collapsed task's hidden subtree as a thin bar of its statuses. */
function hiddenBar(node: VisibleNode): SVGGElement {
  const total = Object.values(node.hidden).reduce((a, b) => a + b, 0) || 1;
  const bar = svg('g', { class: 'hidden-bar', transform: `translate(12,${NODE_HEIGHT - 9})` });
  let x = 0;
  const width = NODE_WIDTH - 24;
  for (const status of ORDER) {
    const count = node.hidden[status] ?? 0;
    if (count === 0) continue;
    const w = (count / total) * width;
    bar.append(svg('rect', { x, width: w, height: 5, class: `bar-${status}` }));
    x += w;
  }
  return bar;
}
