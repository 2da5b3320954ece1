# syntax=docker/dockerfile:1
FROM node:20.18-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# @acme/* packages come from our private npm organisation
# expect-next-line: CWE-798
RUN echo "//registry.npmjs.org/:_authToken=npm_FAKEr8Tq2Lx6Zc0Vb4Nm7Kp1Hs9Jd3Wf5Yga" > .npmrc \
    && npm ci \
    && rm -f .npmrc

FROM node:20.18-alpine AS build
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN npm run build

FROM node:20.18-alpine
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
COPY --from=build /app/public ./public
USER node
EXPOSE 3000
CMD ["node", "server.js"]
