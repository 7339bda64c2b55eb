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
USER node
CMD ["node", "dist/apps/api/main.js"]
