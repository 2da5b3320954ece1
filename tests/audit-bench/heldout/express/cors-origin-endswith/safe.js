const express = require("express");
const cors = require("cors");
const cookieParser = require("cookie-parser");
const { sessionUser } = require("./session");
const accountRoutes = require("./routes/account");

const app = express();

const ALLOWED_ORIGINS = ["https://example.com", "https://www.example.com", "https://admin.example.com"];

app.use(
  cors({
    origin(origin, callback) {
      // allow server-to-server calls, our own sites and preview deployments
      if (!origin || ALLOWED_ORIGINS.includes(origin) || /^https:\/\/[a-z0-9-]+\.preview\.example\.com$/.test(origin)) {
        return callback(null, true);
      }
      callback(new Error(`origin ${origin} not allowed`));
    },
    credentials: true,
  }),
);
app.use(cookieParser());
app.use(express.json());
app.use(sessionUser);
app.use("/api/account", accountRoutes);

app.listen(process.env.PORT || 4000);
