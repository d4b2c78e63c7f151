/** Types of a record's attachments and comments (`/api/<path>/:id/{attachments,comments}`); type-only, no runtime code. */

/** Someone who wrote an attachment or comment, named. */
export interface Author {
  id: number | null;
  name: string | null;
}

export interface AttachmentInfo {
  id: number;
  fileName: string;
  contentType: string;
  fileSize: number;
  checksum: string;
  description: string | null;
  createdAt: string;
  author: Author;
}

export interface CommentInfo {
  id: number;
  body: string;
  createdAt: string;
  author: Author;
}
