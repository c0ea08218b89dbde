// JIT: the templates are compiled in the browser (the Angular CLI would compile them ahead of time).
import '@angular/compiler';
import { bootstrapApplication } from '@angular/platform-browser';
import { AppComponent } from './app.component.js';
import { appConfig } from './app.config.js';

bootstrapApplication(AppComponent, appConfig).catch((error) => console.error(error));
