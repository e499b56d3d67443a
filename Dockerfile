# Untested here: no Docker engine runs on the project's machines. Kept minimal on purpose.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The console's script and style, read from beside the compiled console module.
COPY --from=build /app/src/adapters/console/assets ./dist/src/adapters/console/assets
COPY package.json ./
USER node
EXPOSE 8080 8081 9090
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["serve"]
