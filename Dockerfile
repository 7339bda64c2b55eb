# One image for both apps; docker-compose.yml picks the entry point. Node 24 LTS, as users run.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The CLI: `docker compose exec api npx switchyard ...` (package.json `bin`).
COPY --from=build /app/bin ./bin
# The image's `node` user, by number: Kubernetes can check runAsNonRoot only against a numeric
# user (deploy/k8s runs the pods as 1000). Nothing is written outside /tmp (the tool agents'
# workspace), so the root filesystem can be read-only.
USER 1000:1000
# The API's port; a worker's probes (SWITCHYARD_WORKER_HEALTH_PORT).
EXPOSE 3000 3001
CMD ["node", "dist/apps/api/main.js"]
