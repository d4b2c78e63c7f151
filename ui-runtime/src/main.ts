import { createPinia } from 'pinia';
import { createApp } from 'vue';
// Element Plus' variables and reset; each component's own stylesheet comes with the screen using it.
import 'element-plus/theme-chalk/base.css';
import 'element-plus/theme-chalk/dark/css-vars.css';
import App from './App.vue';
import { i18n } from './i18n';
import { router } from './router';
import './styles.css';

createApp(App).use(createPinia()).use(i18n).use(router).mount('#app');
