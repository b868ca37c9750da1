/**
 * The small HTML pages an admin sees during an install. Every text is escaped; no
 * page ever shows a token, a code or a state value.
 */
function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export function renderPage(
  title: string,
  paragraphs: readonly string[],
  list: readonly string[] = [],
  data: Record<string, string | number> = {},
): string {
  // data-* attributes let a script (the demo, tests) read the outcome without scraping prose.
  const attrs = Object.entries(data)
    .map(([k, v]) => ` data-${k}="${escapeHtml(String(v))}"`)
    .join('');
  const items =
    list.length > 0 ? `<ul>${list.map((i) => `<li><code>${escapeHtml(i)}</code></li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · KPI Bridge</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#213343}h1{font-size:1.5rem}code{background:#f5f8fa;padding:0 .25rem}</style>
</head><body${attrs}><h1>${escapeHtml(title)}</h1>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${items}
</body></html>
`;
}
