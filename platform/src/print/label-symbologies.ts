/** The symbologies a label may carry, by query value: a QR code, a Code 128 bar code, a Data Matrix (bwip-js names). */
export const LABEL_SYMBOLOGIES = { qr: 'qrcode', code128: 'code128', datamatrix: 'datamatrix' } as const;

export type LabelSymbology = keyof typeof LABEL_SYMBOLOGIES;
