const express = require("express");
const Stripe = require("stripe");

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY);
const app = express();
app.use(express.json());

app.post("/payments/intent", async (req, res) => {
  const intent = await stripe.paymentIntents.create({ amount: Math.round(req.body.amount * 100), currency: "eur" });
  res.json({ clientSecret: intent.client_secret });
});

app.listen(process.env.PORT || 3000);
