/**
 * Endpoint path templates (docs/protocol.md, "Path templates"): `/items/{id}` names one segment, a final `{path...}` takes
 * the rest of the path. Parsed once, when a HELLO is validated, so routing can trust every
 * template it sees.
 */

export type TemplateSegment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'rest'; readonly name: string };

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(\.\.\.)?\}$/;
// Literal segments: RFC 3986 pchar minus ':' and '*', which the matcher reserves for its own syntax.
const LITERAL = /^[A-Za-z0-9._~!$&'()+,;=@%-]+$/;

/**
 * Parses a path template, or returns the reason it is not one (for InvalidFrameError).
 * Rules: starts with '/'; no empty segment except the root template '/'; each segment is a
 * literal, a whole-segment `{name}`, or a final `{name...}`; parameter names are unique.
 */
export function parsePathTemplate(template: string): readonly TemplateSegment[] | string {
  if (template.length === 0 || template.charCodeAt(0) !== 0x2f) return 'must start with "/"';
  if (template === '/') return [];
  const parts = template.slice(1).split('/');
  const segments: TemplateSegment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part.length === 0) return `has an empty segment at position ${i + 1} (no "//" and no trailing "/")`;
    if (part.charCodeAt(0) === 0x7b) {
      const m = PARAM.exec(part);
      if (m === null) return `segment "${part}" is not a parameter: use {name} or, last, {name...}`;
      const name = m[1] as string;
      if (name === '__proto__') return 'may not name a parameter "__proto__"';
      if (names.has(name)) return `names parameter "${name}" twice`;
      names.add(name);
      if (m[2] !== undefined) {
        if (i !== parts.length - 1) return `catch-all "{${name}...}" must be the last segment`;
        segments.push({ kind: 'rest', name });
      } else {
        segments.push({ kind: 'param', name });
      }
      continue;
    }
    if (!LITERAL.test(part)) return `segment "${part}" has a character outside [A-Za-z0-9._~!$&'()+,;=@%-]`;
    segments.push({ kind: 'literal', value: part });
  }
  return segments;
}
