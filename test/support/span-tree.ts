import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

const KINDS: Record<SpanKind, string> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};
const REDIS_SCOPE = '@opentelemetry/instrumentation-ioredis';

export const isRedisSpan = (span: ReadableSpan) => span.instrumentationScope.name === REDIS_SCOPE;
export const spanId = (span: ReadableSpan) => span.spanContext().spanId;
export const traceIdOf = (span: ReadableSpan) => span.spanContext().traceId;

/** The spans of one trace, with their parent and children by span id. */
export class SpanTree {
  private readonly byId: Map<string, ReadableSpan>;

  constructor(readonly spans: readonly ReadableSpan[]) {
    this.byId = new Map(spans.map((s) => [spanId(s), s]));
  }

  parent(span: ReadableSpan): ReadableSpan | undefined {
    const id = span.parentSpanContext?.spanId;
    return id === undefined ? undefined : this.byId.get(id);
  }

  children(span: ReadableSpan | undefined): ReadableSpan[] {
    return this.spans
      .filter((s) => this.parent(s) === span)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  }

  /** The names from the trace's root down to `span`. */
  path(span: ReadableSpan): string[] {
    const names: string[] = [];
    for (let s: ReadableSpan | undefined = span; s; s = this.parent(s)) names.unshift(s.name);
    return names;
  }

  /** The only span named `name` (throws when there are none or several). */
  one(name: string, where: (span: ReadableSpan) => boolean = () => true): ReadableSpan {
    const found = this.spans.filter((s) => s.name === name && where(s));
    if (found.length !== 1) throw new Error(`${found.length} spans named "${name}"`);
    return found[0]!;
  }

  /**
   * An indented tree: `name [kind]`, children in start order; each span's Redis commands on one
   * line; `extra` adds lines under a span (what a simulator received).
   */
  print(extra: (span: ReadableSpan) => string[] = () => []): string {
    const lines: string[] = [];
    const walk = (span: ReadableSpan, depth: number) => {
      const pad = '  '.repeat(depth);
      const links = span.links.length
        ? `  (links: ${span.links.map((l) => l.context.traceId).join(', ')})`
        : '';
      lines.push(`${pad}${span.name} [${KINDS[span.kind]}]${links}`);
      const children = this.children(span);
      const redis = children.filter(isRedisSpan).map((s) => s.name);
      if (redis.length) lines.push(`${pad}  · redis: ${countNames(redis)}`);
      for (const line of extra(span)) lines.push(`${pad}  ${line}`);
      for (const child of children) if (!isRedisSpan(child)) walk(child, depth + 1);
    };
    for (const root of this.children(undefined)) walk(root, 0);
    return lines.join('\n');
  }
}

/** ['evalsha', 'evalsha', 'get'] → 'evalsha ×2, get' */
function countNames(names: string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join(', ');
}
