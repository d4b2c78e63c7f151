import { defaultConfig, plugin as formKit } from '@formkit/vue';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import 'element-plus/dist/index.css';
import 'element-plus/theme-chalk/dark/css-vars.css';
import App from './App.vue';
import { formKitInputs, formKitRules } from './forms/formkit-setup';
import { i18n } from './i18n';
import { router } from './router';
import './styles.css';

createApp(App)
  .use(createPinia())
  .use(i18n)
  .use(router)
  .use(formKit, defaultConfig({ inputs: formKitInputs, rules: formKitRules }))
  .mount('#app');
