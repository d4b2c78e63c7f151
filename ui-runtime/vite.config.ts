import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { elementPlusStyles } from './build/element-plus-styles';
import { precompress } from './build/precompress';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Element Plus components only the screens that show data use: not the sign-in page, not the shell. */
const DATA_COMPONENTS = [
  'table',
  'table-column',
  'checkbox',
  'checkbox-group',
  'date-picker',
  'date-picker-panel',
  'time-picker',
  'time-select',
  'input-number',
  'radio',
  'radio-group',
  'radio-button',
  'message-box',
  'progress',
  'skeleton',
  'skeleton-item',
  'result',
  'row',
  'col',
  'form',
  'form-item',
];
/** Their code, their stylesheets and dayjs, which only the date and time pickers use. */
const DATA = new RegExp(
  `node_modules/(element-plus/es/components/(${DATA_COMPONENTS.join('|')})/|` +
    `element-plus/theme-chalk/el-(${DATA_COMPONENTS.join('|')})\\.css|dayjs/|async-validator/)`,
);
const ELEMENT_PLUS =
  /node_modules\/(element-plus|@element-plus|@vueuse|lodash-es|@floating-ui|@popperjs|@ctrl|async-validator|normalize-wheel-es)\//;

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
        // components themselves stay with the screens that use them, and the heavy ones the screens
        // showing data share — the table, the date and time pickers (with dayjs), checkboxes, radios,
        // number inputs, message boxes — have a chunk of their own, so the sign-in page and the shell
        // fetch only the light part. A group also takes the dependencies of what it captures that no
        // group before it (higher priority) took, so the light part is captured first.
        codeSplitting: {
          groups: [
            {
              name: 'vue',
              test: /node_modules\/(@vue|vue|vue-router|pinia|vue-i18n|@intlify)\//,
              priority: 3,
            },
            {
              name: 'element-plus',
              test: (id) => ELEMENT_PLUS.test(id) && !DATA.test(id),
              minShareCount: 3,
              priority: 2,
            },
            {
              name: 'element-plus-data',
              test: DATA,
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
