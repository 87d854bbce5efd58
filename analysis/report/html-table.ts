/** HTML pieces both report pages use: escaping and a titled table (an empty one says "none"). */
export const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function htmlTable(name: string, t: { columns: string[]; rows: unknown[][] }): string {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = t.rows.length ? t.rows.map((r) => `<tr>${r.map((v) => `<td>${esc(v == null ? '' : String(v))}</td>`).join('')}</tr>`).join('') : `<tr><td colspan="${t.columns.length}" class="empty">none</td></tr>`;
  return `<section class="table"><h2>${esc(name)}</h2><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></section>`;
}
