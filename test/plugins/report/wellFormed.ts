/**
 * A tiny XML well-formedness check for the SVG the report writes: balanced tags, one root,
 * quoted unique attributes, no stray '<', and '&' only in entities. Returns the problem or null.
 */
export function xmlProblem(xml: string): string | null {
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*"[^"<]*")*)\s*(\/?)>/y;
  const attr = /([A-Za-z_][\w:.-]*)\s*=\s*"([^"<]*)"/g;
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const checkAmp = (s: string, at: number): string | null => {
    for (let k = s.indexOf('&'); k >= 0; k = s.indexOf('&', k + 1)) {
      entity.lastIndex = k;
      if (!entity.test(s)) return `bad '&' near ${at + k}`;
    }
    return null;
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const textPart = lt < 0 ? xml.slice(i) : xml.slice(i, lt);
    if (stack.length === 0 && textPart.trim() !== '') return `text outside the root at ${i}`;
    const amp = checkAmp(textPart, i);
    if (amp) return amp;
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (!m) return `malformed tag at ${lt}: ${xml.slice(lt, lt + 40)}`;
    const [, close, name, attrs = '', selfClose] = m;
    const seen = new Set<string>();
    for (const a of attrs.matchAll(attr)) {
      if (seen.has(a[1]!)) return `duplicate attribute ${a[1]} on <${name}>`;
      seen.add(a[1]!);
      const bad = checkAmp(a[2]!, lt);
      if (bad) return bad;
    }
    if (close) {
      if (stack.pop() !== name) return `unexpected </${name}> at ${lt}`;
    } else {
      if (stack.length === 0) roots++;
      if (!selfClose) stack.push(name!);
    }
    i = tag.lastIndex;
  }
  if (stack.length > 0) return `unclosed <${stack[stack.length - 1]}>`;
  if (roots !== 1) return `expected one root element, found ${roots}`;
  return null;
}
