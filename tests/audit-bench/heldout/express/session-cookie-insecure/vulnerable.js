const express = require("express");
const session = require("express-session");
const RedisStore = require("connect-redis").default;
const { createClient } = require("redis");
const authRoutes = require("./routes/auth");
const dashboardRoutes = require("./routes/dashboard");

const redisClient = createClient({ url: process.env.REDIS_URL });
redisClient.connect().catch(console.error);

const app = express();
app.set("trust proxy", 1); // TLS terminates at the load balancer

app.use(
  session({
    store: new RedisStore({ client: redisClient, prefix: "sess:" }),
    secret: process.env.SESSION_SECRET,
    name: "sid",
    resave: false,
    saveUninitialized: false,
    cookie: {
      secure: false, // expect: CWE-614
      httpOnly: true,
      sameSite: "lax",
      maxAge: 1000 * 60 * 60 * 8,
    },
  }),
);

app.use(express.urlencoded({ extended: false }));
app.use("/auth", authRoutes);
app.use("/dashboard", dashboardRoutes);

app.listen(process.env.PORT || 3000);
