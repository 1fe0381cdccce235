import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// In development (npx vite) the API runs separately: `make run` on :8080.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", assetsDir: "assets", target: "es2022", sourcemap: false },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:8080", ws: true },
      "/widget.js": "http://127.0.0.1:8080",
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["src/**/*.test.tsx", "src/**/*.test.ts"],
  },
});
