const express = require("express");
const Stripe = require("stripe");

const stripe = new Stripe("sk_live_51FAKEbenchQ8Wn3LzT0vR2mXc9Yb4KdHs7PjA1uE6gN"); // expect: CWE-798
const app = express();
app.use(express.json());

app.post("/payments/intent", async (req, res) => {
  const intent = await stripe.paymentIntents.create({ amount: Math.round(req.body.amount * 100), currency: "eur" });
  res.json({ clientSecret: intent.client_secret });
});

app.listen(process.env.PORT || 3000);
