import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { z } from 'zod';

import { escapeHtml, layout } from './pages';

/**
 * The upload of series HubSpot cannot give (web visits per source and day where the analytics
 * report is not available to the app, branded search volume). Parsing, validation and storage are
 * the sync feature's CSV import (`kpi-bridge import`); this is its web form. The form posts
 * multipart data, read with busboy under hard limits; the session cookie is SameSite=Lax, so a
 * cross-site form cannot post here with it.
 */

export const UPLOAD_KINDS = ['traffic', 'branded-search'] as const;
export type UploadKind = (typeof UPLOAD_KINDS)[number];
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

export class UploadRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadRejected';
  }
}

const kindSchema = z.enum(UPLOAD_KINDS);

/** The kind and the file's text from a multipart form; UploadRejected for anything else. */
export function readUpload(req: IncomingMessage): Promise<{ kind: UploadKind; text: string }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: MAX_UPLOAD_BYTES, fields: 4, fieldSize: 100 },
      });
    } catch {
      reject(new UploadRejected('send the file with the upload form (multipart/form-data)'));
      return;
    }
    let kind: string | undefined;
    const chunks: Buffer[] = [];
    let gotFile = false;
    let tooLarge = false;
    bb.on('field', (name, value) => {
      if (name === 'kind') kind = value;
    });
    bb.on('file', (_name, stream) => {
      gotFile = true;
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => (tooLarge = true));
    });
    bb.on('error', () => reject(new UploadRejected('the upload could not be read')));
    bb.on('close', () => {
      const parsed = kindSchema.safeParse(kind);
      if (!parsed.success)
        return reject(new UploadRejected('choose what the file holds: traffic or branded search'));
      if (!gotFile) return reject(new UploadRejected('choose a CSV file'));
      if (tooLarge)
        return reject(new UploadRejected(`the file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`));
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.includes('\uFFFD')) return reject(new UploadRejected('the file is not UTF-8 text'));
      resolve({ kind: parsed.data, text });
    });
    req.pipe(bb);
  });
}

export interface StoredSeries {
  readonly kind: UploadKind;
  readonly rows: number;
  readonly firstDay: string | null;
  readonly lastDay: string | null;
}

export interface UploadOutcome {
  readonly status: 'accepted' | 'refused';
  readonly message: string;
  /** One line per bad row: "line 3: visits must be a whole number ≥ 0". */
  readonly errors?: readonly string[];
}

function form(portalId: number, kind: UploadKind, title: string, help: string, example: string): string {
  return `<section class="report"><h2>${escapeHtml(title)}</h2><p class="note">${escapeHtml(help)}</p>
<pre class="example">${escapeHtml(example)}</pre>
<form class="pickers" method="post" action="/reports/${portalId}/upload" enctype="multipart/form-data" data-kind="${kind}">
<input type="hidden" name="kind" value="${kind}">
<label>CSV file (UTF-8)<input type="file" name="file" accept=".csv,text/csv" required></label>
<button type="submit">Upload</button></form></section>`;
}

export function renderUploadPage(
  portalId: number,
  stored: readonly StoredSeries[],
  outcome?: UploadOutcome,
): string {
  const result = outcome
    ? `<div class="outcome ${outcome.status}" id="upload-outcome" data-outcome="${outcome.status}"><strong>${escapeHtml(outcome.message)}</strong>${
        outcome.errors && outcome.errors.length > 0
          ? `<ul id="upload-errors">${outcome.errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>`
          : ''
      }</div>`
    : '';
  const rows = stored
    .map(
      (s) =>
        `<tr><td class="text">${s.kind === 'traffic' ? 'Visits per source and day' : 'Branded search volume'}</td><td>${s.rows.toLocaleString('en-US')}</td><td class="text">${
          s.firstDay ? `${s.firstDay} to ${s.lastDay ?? ''}` : 'nothing uploaded yet'
        }</td></tr>`,
    )
    .join('');
  const body = `<h1>Upload series HubSpot cannot give</h1>
<p class="meta">A file is taken whole or not at all; every bad row is named. Uploading a day (and source) again replaces its value, so a corrected file can simply be uploaded again. The KPIs are recomputed after each upload.</p>
<style>.outcome{padding:.75rem 1rem;border-radius:6px;margin:0 0 1rem}.outcome.accepted{background:#e5f5f0;border:1px solid #00875a}.outcome.refused{background:#fdecea;border:1px solid #c0392b}.outcome ul{margin:.5rem 0 0}pre.example{background:#f5f8fa;padding:.5rem .75rem;border-radius:4px;display:inline-block;margin:0 0 .75rem}</style>
${result}
<div class="tablebox"><table id="stored"><caption><strong>Stored series</strong></caption><thead><tr><th class="text">Series</th><th>Days stored</th><th class="text">Range</th></tr></thead><tbody>${rows}</tbody></table></div>
${form(portalId, 'traffic', 'Visits per source and day', 'For portals whose HubSpot subscription does not give the app the analytics sources report. Columns day (YYYY-MM-DD), source (as HubSpot names it, e.g. ORGANIC_SEARCH), visits.', 'day,source,visits\n2026-11-01,ORGANIC_SEARCH,412\n2026-11-01,DIRECT_TRAFFIC,230')}
${form(portalId, 'branded-search', 'Branded search volume', 'Searches for your brand per day, from your search console or keyword tool. Columns day (YYYY-MM-DD), searches.', 'day,searches\n2026-11-01,1840\n2026-11-02,1795')}`;
  return layout({ title: 'Upload', body, portalId, current: 'upload' });
}
