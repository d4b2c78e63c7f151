import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { elementPlusStyles } from './build/element-plus-styles';
import { precompress } from './build/precompress';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Built into ui-runtime/dist, which the platform serves at `/`; `vite dev` proxies the API. */
export default defineConfig({
  root,
  plugins: [vue(), elementPlusStyles(), precompress()],
  // vue-i18n without its legacy (Options) API, global components and devtools hooks: the app uses
  // `useI18n` and `i18n.global` in composition mode only.
  define: {
    __VUE_I18N_LEGACY_API__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        // Every screen needs Vue and the plumbing every Element Plus component is built on: one chunk
        // each rather than dozens of small shared ones (each a request with its own headers). The
        // components themselves stay with the screens that use them.
        codeSplitting: {
          groups: [
            {
              name: 'vue',
              test: /node_modules\/(@vue|vue|vue-router|pinia|vue-i18n|@intlify)\//,
              priority: 2,
            },
            {
              name: 'element-plus',
              test: /node_modules\/(element-plus|@element-plus|@vueuse|lodash-es|@floating-ui|@popperjs|@ctrl|dayjs|async-validator|normalize-wheel-es)\//,
              minShareCount: 3,
              priority: 1,
            },
          ],
        },
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
