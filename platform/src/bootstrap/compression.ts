/**
 * Response compression (brotli, else gzip) for API responses, exports and the browser app's files,
 * when the client accepts it and the body is compressible and at least 1 KB. Request bodies are not
 * decompressed. Register before any route: the plugin equips routes as they are declared.
 */
import fastifyCompress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

export async function registerCompression(fastify: FastifyInstance): Promise<void> {
  await fastify.register(fastifyCompress, {
    global: true,
    globalDecompression: false,
    encodings: ['br', 'gzip'],
    threshold: 1024,
  });
}
