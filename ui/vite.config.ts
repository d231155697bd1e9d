// The built UI goes into the Python package (src/trainboard/server/static/), which the server
// serves and the wheel ships; it is git-ignored and rebuilt by `make ui`.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "../src/trainboard/server/static",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npm run dev` against a `trainboard ui --port 8765` started beside it.
    proxy: { "/api": "http://127.0.0.1:8765" },
  },
});
