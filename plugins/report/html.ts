import { escapeXml, formatValue } from './svg.js';

/** What a metric means, shown under the metrics table when the metric is there. */
export const METRIC_DEFINITIONS: Readonly<Record<string, string>> = {
  effective_generators: 'effective_generators: prior entries above half the uniform share, r > 1/(2n)',
  prior_perplexity: 'prior_perplexity: exp(H(r)), H in nats: n for a uniform prior, 1 when one generator holds all the mass',
};

/** A picture on the report page: inline SVG markup, or a link to an image file. */
export interface ReportImage {
  /** Short name, also the anchor id. */
  readonly name: string;
  readonly caption?: string;
  /** SVG document to inline (preferred: keeps index.html self-contained). */
  readonly svg?: string;
  /** Relative URL of an image file, used when `svg` is absent. */
  readonly href?: string;
}

/** Input of {@link renderIndexHtml}. */
export interface IndexHtmlInput {
  readonly title: string;
  /** Final metrics: scalar fields go in one table; an array of records `per_generator` in another. */
  readonly metrics: Readonly<Record<string, unknown>>;
  /** One record per evaluation (e.g. `iteration`, metric values, `prior`). */
  readonly history: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly images: readonly ReportImage[];
  /** Optional one-sentence result shown first, under the title. */
  readonly lead?: string;
  /** Optional free-text lines shown under the title (run settings, seed, …). */
  readonly notes?: readonly string[];
}

function isRecordArray(v: unknown): v is Array<Record<string, unknown>> {
  return Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
}

function cell(v: unknown, tag = 'td'): string {
  return `<${tag}>${escapeXml(formatValue(v))}</${tag}>`;
}

function recordsTable(rows: ReadonlyArray<Readonly<Record<string, unknown>>>, cls: string): string {
  const columns: string[] = [];
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      // Nested records (e.g. per_generator inside a history entry) would not fit in a cell.
      if (!columns.includes(k) && !isRecordArray(v) && (typeof v !== 'object' || v === null || Array.isArray(v))) {
        columns.push(k);
      }
    }
  }
  const head = `<tr>${columns.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${columns.map((c) => cell(r[c])).join('')}</tr>`).join('\n');
  return `<table class="${cls}">\n${head}\n${body}\n</table>`;
}

/**
 * A self-contained HTML page: the pictures (inline SVG or linked files), the final metrics,
 * the per-generator breakdown and the evaluation history. Values are escaped.
 */
export function renderIndexHtml(input: IndexHtmlInput): string {
  const scalarRows = Object.entries(input.metrics)
    // Scalars and plain arrays (e.g. prior); record arrays get their own table.
    .filter(([k, v]) => k !== 'per_generator' && !(isRecordArray(v) && v.length > 0))
    .filter(([, v]) => typeof v !== 'object' || v === null || Array.isArray(v))
    .map(([k, v]) => `<tr><th>${escapeXml(k)}</th>${cell(v)}</tr>`)
    .join('\n');
  const definitions = Object.entries(METRIC_DEFINITIONS)
    .filter(([k]) => k in input.metrics)
    .map(([, d]) => `<p class="note">${escapeXml(d)}</p>`)
    .join('\n');
  const perGenerator = input.metrics['per_generator'];
  const images = input.images
    .map((im) => {
      const body =
        im.svg !== undefined
          ? im.svg
          : `<img src="${escapeXml(im.href ?? '')}" alt="${escapeXml(im.caption ?? im.name)}">`;
      const caption = im.caption ? `<figcaption>${escapeXml(im.caption)}</figcaption>` : '';
      return `<figure id="${escapeXml(im.name)}">${body}${caption}</figure>`;
    })
    .join('\n');
  const notes = (input.notes ?? []).map((n) => `<p class="note">${escapeXml(n)}</p>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(input.title)}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
figure { margin: 1em 0; } figure svg, figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th { background: #f4f4f4; } .note { color: #555; } .lead { font-size: 1.15em; }
</style>
</head>
<body>
<h1>${escapeXml(input.title)}</h1>
${input.lead ? `<p class="lead">${escapeXml(input.lead)}</p>\n` : ''}${notes}
<h2>Final metrics</h2>
<table class="metrics">
${scalarRows}
</table>
${definitions}
${isRecordArray(perGenerator) && perGenerator.length > 0 ? `<h2>Per generator</h2>\n${recordsTable(perGenerator, 'per-generator')}` : ''}
<h2>Pictures</h2>
${images}
<h2>History</h2>
${input.history.length > 0 ? recordsTable(input.history, 'history') : '<p>No evaluations recorded.</p>'}
</body>
</html>
`;
}
