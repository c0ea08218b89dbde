// The React test app's own build settings; the test infrastructure adds base, outDir and the
// aliases that point `oidc-session/*` at dist/.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({ plugins: [react()] });
