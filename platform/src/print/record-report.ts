/**
 * A printable PDF of one record (pdfkit): title, a QR code of its business key, its fields as label
 * and value, and its child tables — a work order prints as its traveller (operations), an
 * inspection as its report (check items). Values read for people: relation display values, enum
 * labels, dates without seconds.
 */
import type PdfKit from 'pdfkit';
import type { CompiledEntity, CompiledField, Model } from '../../../metadata/src/model';
import type { I18nText } from '../../../metadata/src/types';
import type { EntityRecord } from '../crud/types';

export type ReportLanguage = 'en' | 'zh';

/** Fields and child entities the caller may read, as the secured read returned them. */
export interface ReportInput {
  model: Model;
  entity: CompiledEntity;
  record: EntityRecord;
  /** PNG of the business key's QR code, or null. */
  qrCode: Buffer | null;
  language: ReportLanguage;
  printedBy: string;
}

const text = (value: I18nText | undefined, language: ReportLanguage): string =>
  value === undefined ? '' : typeof value === 'string' ? value : (value[language] ?? value.en ?? '');

function display(field: CompiledField, record: EntityRecord, model: Model, language: ReportLanguage): string {
  if (field.relation) {
    const related = record[field.apiName] as Record<string, unknown> | null | undefined;
    const target = model.entities.get(field.relation.target);
    const displayField = target?.fieldsByName.get(field.relation.display);
    const shown = related && displayField ? related[displayField.apiName] : undefined;
    const id = record[`${field.apiName}Id`];
    return shown != null ? String(shown) : id != null ? `#${String(id)}` : '';
  }
  const value = record[field.apiName];
  if (value === null || value === undefined) return '';
  if (field.def.type === 'enum') {
    const option = field.def.values.find((v) => (typeof v === 'string' ? v : v.value) === value);
    return option && typeof option !== 'string' ? text(option.label, language) : String(value);
  }
  if (field.def.type === 'datetime') return String(value).slice(0, 16).replace('T', ' ');
  if (field.def.type === 'boolean')
    return value ? (language === 'zh' ? '是' : 'Yes') : language === 'zh' ? '否' : 'No';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const printable = (field: CompiledField): boolean =>
  !field.hidden && field.storage !== 'children' && field.storage !== 'many' && field.def.type !== 'json';

export function recordReport(input: ReportInput): Promise<Buffer> {
  const { model, entity, record, language } = input;
  const doc = new (pdfDocument())({ size: 'A4', margin: 40, info: { Title: text(entity.label, language) } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));

  const key = entity.businessKey ? entity.fieldsByName.get(entity.businessKey) : undefined;
  const title = `${text(entity.label, language)} ${key ? String(record[key.apiName] ?? '') : `#${record.id}`}`;
  doc.fontSize(18).text(title, 40, 40, { width: 400 });
  if (input.qrCode) doc.image(input.qrCode, 455, 30, { width: 100 });
  doc.moveDown(0.5).fontSize(8).fillColor('#555555');
  doc.text(`${new Date().toISOString().slice(0, 16).replace('T', ' ')} · ${input.printedBy}`);
  doc.fillColor('#000000').moveDown(1);

  const fields = entity.fields.filter((f) => printable(f) && f.apiName in record);
  const labelWidth = 140;
  doc.y = Math.max(doc.y, 140);
  for (const field of fields) {
    const value = display(field, record, model, language);
    if (!value) continue;
    const y = doc.y;
    doc.fontSize(9).fillColor('#555555').text(text(field.label, language), 40, y, { width: labelWidth });
    doc.fillColor('#000000').text(value, 40 + labelWidth, y, { width: 515 - labelWidth });
    doc.moveDown(0.3);
  }

  for (const field of entity.fields.filter((f) => f.storage === 'children')) {
    const rows = record[field.apiName];
    const child = field.children ? model.entities.get(field.children.target) : undefined;
    if (!Array.isArray(rows) || !child) continue;
    const columns = child.fields
      .filter((f) => printable(f) && f.name !== field.children!.foreignKey)
      .filter((f) => rows.some((row: EntityRecord) => display(f, row, model, language) !== ''))
      .slice(0, 7);
    doc.moveDown(1).fontSize(12).fillColor('#000000').text(text(field.label, language), 40);
    doc.moveDown(0.3);
    const width = 515 / Math.max(columns.length, 1);
    const row = (cells: string[], bold: boolean) => {
      if (doc.y > 780) doc.addPage();
      const y = doc.y;
      doc.fontSize(8).fillColor(bold ? '#555555' : '#000000');
      cells.forEach((cell, i) =>
        doc.text(cell, 40 + i * width, y, { width: width - 4, height: 22, ellipsis: true }),
      );
      doc
        .moveTo(40, doc.y + 2)
        .lineTo(555, doc.y + 2)
        .strokeColor('#dddddd')
        .stroke();
      doc.y += 6;
    };
    row(
      columns.map((c) => text(c.label, language)),
      true,
    );
    for (const childRow of rows as EntityRecord[])
      row(
        columns.map((c) => display(c, childRow, model, language)),
        false,
      );
    if (rows.length === 0) doc.fontSize(9).text('—', 40);
  }
  doc.end();
  return done;
}

/** pdfkit (about 23 MB resident) is loaded with the first report, not at startup. */
function pdfDocument(): typeof PdfKit {
  return require('pdfkit') as typeof PdfKit;
}
