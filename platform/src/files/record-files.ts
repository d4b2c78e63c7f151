/**
 * Attachments and comments of records, for every entity whose metadata declares `attachments` or
 * `comments`: one implementation for all of them. Files are `attachment` rows (`biz_type` = the
 * entity, `biz_id` = the record id) with their bytes in the FileStorage; comments are
 * `record_comment` rows. Both are written through the record-change pipeline, so every upload,
 * deletion and comment has its audit record naming the actor. Who may do what is decided on the
 * record they belong to (read to list, download and comment; update to upload and delete), by the
 * caller of this service: the rows themselves are written with the engine's trust.
 */
import { createHash, randomUUID } from 'node:crypto';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import type { CompiledEntity } from '../../../metadata/src/model';
import type { AttachmentInfo, Author, CommentInfo } from '../contracts/files';
import type { EntityService } from '../crud/entity.service';
import { ApiError, NotFoundError, ValidationError } from '../crud/errors';
import type { EntityRecord, FilterCondition, RequestContext } from '../crud/types';
import { storageKey, type FileStorage } from './file-storage';

export const ATTACHMENT_ENTITY = 'attachment';
export const COMMENT_ENTITY = 'record_comment';

/** An uploaded file as the HTTP layer receives it. */
export interface UploadedFile {
  fileName: string;
  contentType: string;
  /** The bytes as they arrive, read once on their way to the store. */
  content: Readable;
  description?: string;
}

export type { AttachmentInfo, CommentInfo };

export interface Download {
  fileName: string;
  contentType: string;
  /** The bytes, streamed from the store. */
  body: Readable;
  size: number;
}

/** A file the entity's attachment policy refuses: 413 (too large) or 415 (type), naming the rule. */
export class FileRefusedError extends ApiError {
  constructor(rule: 'maxSize' | 'accept', message: string, limit: unknown) {
    super(
      rule === 'maxSize' ? 'PAYLOAD_TOO_LARGE' : 'UNSUPPORTED_MEDIA_TYPE',
      rule === 'maxSize' ? 413 : 415,
      message,
      { errors: [{ field: 'file', path: '/file', rule, limit, message }] },
    );
  }
}

const PAGE = 500;

export class RecordFiles {
  constructor(
    private readonly records: EntityService,
    private readonly storage: FileStorage,
  ) {}

  /** The entity's attachment policy, or 404 when its records take no attachments. */
  attachmentPolicy(entity: CompiledEntity): NonNullable<CompiledEntity['attachments']> {
    if (!entity.attachments) throw new NotFoundError('attachments of', entity.name);
    return entity.attachments;
  }

  /** 404 when the entity's records carry no comment thread. */
  requireComments(entity: CompiledEntity): void {
    if (!entity.comments) throw new NotFoundError('comments of', entity.name);
  }

  async listAttachments(ctx: RequestContext, entity: CompiledEntity, id: number): Promise<AttachmentInfo[]> {
    this.attachmentPolicy(entity);
    const rows = await this.rowsOf(ctx, ATTACHMENT_ENTITY, entity, id);
    const authors = await this.authors(
      ctx,
      rows.map((row) => Number(row.createdBy)),
    );
    return rows.map((row) => ({
      id: Number(row.id),
      fileName: String(row.fileName),
      contentType: String(row.contentType ?? 'application/octet-stream'),
      fileSize: Number(row.fileSize ?? 0),
      checksum: String(row.checksum ?? ''),
      description: (row.description as string | null) ?? null,
      createdAt: String(row.createdAt),
      author: authorOf(authors, Number(row.createdBy)),
    }));
  }

  async upload(
    ctx: RequestContext,
    entity: CompiledEntity,
    id: number,
    file: UploadedFile,
  ): Promise<AttachmentInfo> {
    const policy = this.attachmentPolicy(entity);
    if (!accepted(policy.accept, file))
      throw new FileRefusedError(
        'accept',
        `file type ${file.contentType || 'unknown'} (${file.fileName}) is not accepted; ${entity.name} takes ${policy.accept.join(', ')}`,
        policy.accept,
      );
    const fileName = safeName(file.fileName);
    if (fileName === '')
      throw new ValidationError([
        { field: 'file', path: '/file', rule: 'required', message: 'file name missing' },
      ]);
    const key = storageKey(ctx.tenantId, entity.name, id, randomUUID());
    const contentType = file.contentType || 'application/octet-stream';
    const meter = new UploadMeter(policy.maxSize, entity.name);
    // A failure on either side reaches the other: the store sees the meter fail, the source stops.
    pipeline(file.content, meter, () => undefined);
    // The blob first, then the row: a failed upload leaves no row pointing at nothing, and a row
    // that cannot be written takes its blob with it.
    try {
      await this.storage.put(key, meter, contentType);
    } finally {
      meter.destroy();
    }
    const size = meter.byteCount;
    const checksum = meter.checksum();
    try {
      // The engine's own body: size, type, path and checksum are read-only to clients, set here.
      const row = await this.records.transaction((tx) =>
        this.records.createIn(
          tx,
          ATTACHMENT_ENTITY,
          {
            file: {
              storage: this.storage.kind,
              key,
              name: fileName,
              size,
              type: contentType,
            },
            fileName,
            filePath: key,
            fileSize: size,
            contentType: contentType.slice(0, 128),
            bizType: entity.name,
            bizId: String(id),
            checksum,
            ...(file.description ? { description: file.description.slice(0, 255) } : {}),
          },
          trusted(ctx),
        ),
      );
      const [info] = await this.listOne(ctx, row);
      return info!;
    } catch (error) {
      // The row's failure is the answer; a store that fails to delete too leaves an unreferenced blob.
      await this.storage.remove(key).catch(() => undefined);
      throw error;
    }
  }

  async download(
    ctx: RequestContext,
    entity: CompiledEntity,
    id: number,
    attachmentId: number,
  ): Promise<Download> {
    const row = await this.attachmentOf(ctx, entity, id, attachmentId);
    const stored = await this.storage.open(String(row.filePath));
    if (!stored) throw new NotFoundError('file of attachment', attachmentId);
    return {
      fileName: String(row.fileName),
      contentType: String(row.contentType ?? 'application/octet-stream'),
      body: stored.body,
      size: stored.size,
    };
  }

  /**
   * Deletes the file and then the attachment row (audited). A store that fails keeps both (502/503,
   * nothing changed); a row that fails to go after its file did stays listed, its download 404, and
   * deleting it again completes.
   */
  async remove(ctx: RequestContext, entity: CompiledEntity, id: number, attachmentId: number): Promise<void> {
    const row = await this.attachmentOf(ctx, entity, id, attachmentId);
    await this.storage.remove(String(row.filePath));
    await this.records.remove(ATTACHMENT_ENTITY, attachmentId, trusted(ctx));
  }

  async listComments(ctx: RequestContext, entity: CompiledEntity, id: number): Promise<CommentInfo[]> {
    this.requireComments(entity);
    const rows = (await this.rowsOf(ctx, COMMENT_ENTITY, entity, id)).reverse();
    const authors = await this.authors(
      ctx,
      rows.map((row) => Number(row.authorId)),
    );
    return rows.map((row) => commentInfo(row, authors));
  }

  async addComment(
    ctx: RequestContext,
    entity: CompiledEntity,
    id: number,
    body: unknown,
  ): Promise<CommentInfo> {
    this.requireComments(entity);
    const text = typeof body === 'string' ? body.trim() : body;
    if (text === '' || text === undefined || text === null)
      throw new ValidationError([
        { field: 'body', path: '/body', rule: 'required', message: 'Write the comment first' },
      ]);
    const row = await this.records.create(
      COMMENT_ENTITY,
      { bizType: entity.name, bizId: String(id), body: text },
      trusted(ctx),
    );
    const authors = await this.authors(ctx, [Number(row.authorId)]);
    return commentInfo(row, authors);
  }

  private async listOne(ctx: RequestContext, row: EntityRecord): Promise<AttachmentInfo[]> {
    const authors = await this.authors(ctx, [Number(row.createdBy)]);
    return [
      {
        id: Number(row.id),
        fileName: String(row.fileName),
        contentType: String(row.contentType),
        fileSize: Number(row.fileSize),
        checksum: String(row.checksum),
        description: (row.description as string | null) ?? null,
        createdAt: String(row.createdAt),
        author: authorOf(authors, Number(row.createdBy)),
      },
    ];
  }

  /** The attachment, when it belongs to this record; 404 otherwise. */
  private async attachmentOf(
    ctx: RequestContext,
    entity: CompiledEntity,
    id: number,
    attachmentId: number,
  ): Promise<EntityRecord> {
    this.attachmentPolicy(entity);
    const rows = await this.rowsOf(ctx, ATTACHMENT_ENTITY, entity, id, [
      { field: 'id', op: 'eq', value: attachmentId },
    ]);
    if (rows.length === 0) throw new NotFoundError('attachment', attachmentId);
    return rows[0]!;
  }

  /** Rows of an attachment or comment entity that belong to one record, newest first. */
  private async rowsOf(
    ctx: RequestContext,
    owner: string,
    entity: CompiledEntity,
    id: number,
    extra: FilterCondition[] = [],
  ): Promise<EntityRecord[]> {
    const query = this.records.parseListQuery(
      owner,
      { sort: '-id', count: 'none', pageSize: String(PAGE) },
      ctx.model,
    );
    query.filter = {
      kind: 'and',
      conditions: [
        { field: 'bizType', op: 'eq', value: entity.name },
        { field: 'bizId', op: 'eq', value: String(id) },
        ...extra,
      ],
    };
    return (await this.records.list(owner, query, trusted(ctx))).items;
  }

  /** The display names of users by id (the names a thread shows, like the audit trail's actors). */
  private async authors(ctx: RequestContext, ids: number[]): Promise<Map<number, string>> {
    const wanted = [...new Set(ids.filter((id) => Number.isSafeInteger(id) && id > 0))];
    const user = ctx.model.entities.get('user');
    if (wanted.length === 0 || !user) return new Map();
    const display = user.fieldsByName.get(user.display)?.apiName ?? 'id';
    const query = this.records.parseListQuery(
      'user',
      { fields: `id,${display}`, count: 'none', pageSize: String(wanted.length) },
      ctx.model,
    );
    query.filter = { kind: 'and', conditions: [{ field: 'id', op: 'in', value: wanted }] };
    const rows = (await this.records.list('user', query, trusted(ctx))).items;
    return new Map(rows.map((row) => [Number(row.id), String(row[display] ?? row.id)]));
  }
}

/** Counts and hashes the bytes of an upload on their way to the store; past the limit, fails with 413. */
class UploadMeter extends Transform {
  /** Not `size` or `length`: the S3 upload would take either for the length of the whole stream. */
  byteCount = 0;
  private readonly hash = createHash('sha256');

  constructor(
    private readonly maxSize: number,
    private readonly entity: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.byteCount += chunk.length;
    if (this.byteCount > this.maxSize) {
      done(
        new FileRefusedError(
          'maxSize',
          `file is larger than ${this.maxSize} bytes, the most ${this.entity} takes`,
          this.maxSize,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** SHA-256 of the content, hex; once the content has passed. */
  checksum(): string {
    return this.hash.digest('hex');
  }
}

function commentInfo(row: EntityRecord, authors: Map<number, string>): CommentInfo {
  return {
    id: Number(row.id),
    body: String(row.body),
    createdAt: String(row.createdAt),
    author: authorOf(authors, Number(row.authorId)),
  };
}

function authorOf(authors: Map<number, string>, id: number): Author {
  return Number.isSafeInteger(id) && id > 0
    ? { id, name: authors.get(id) ?? null }
    : { id: null, name: null };
}

/**
 * The context the engine writes the rows with: the caller (audit actor, `$user`, created_by) without
 * the caller's row rules, which were applied to the record the rows belong to.
 */
function trusted(ctx: RequestContext): RequestContext {
  return { ...ctx, access: undefined };
}

/** Whether a file matches the accepted MIME types (`image/*`) or extensions (`.pdf`); none = any. */
export function accepted(
  accept: readonly string[],
  file: Pick<UploadedFile, 'fileName' | 'contentType'>,
): boolean {
  if (accept.length === 0) return true;
  const type = file.contentType.toLowerCase().split(';')[0]!.trim();
  const name = file.fileName.toLowerCase();
  return accept.some((rule) => {
    const wanted = rule.toLowerCase();
    if (wanted.startsWith('.')) return name.endsWith(wanted);
    if (wanted.endsWith('/*')) return type.startsWith(wanted.slice(0, -1));
    return type === wanted;
  });
}

/** The file's own name without any folder, control characters or quotes; at most 255 characters. */
export function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const printable = [...base].filter((c) => c.charCodeAt(0) >= 0x20 && c !== '\u007f' && c !== '"');
  return printable.join('').trim().slice(0, 255);
}
