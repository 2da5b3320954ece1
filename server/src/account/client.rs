//! The gateway's HTTP API as the editors and the CLI use it (see `gateway` for the server):
//! device sign-in, the account's status, reservations for metered runs, Stripe Checkout.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(
        "could not reach the AUTOCREA gateway at {gateway} ({detail}); check your network, or AUTOCREA_GATEWAY_URL"
    )]
    Unreachable { gateway: String, detail: String },
    #[error(
        "your AUTOCREA sign-in is no longer valid (signed out elsewhere, or revoked); sign in again (`autocrea login`, or the editor's AUTOCREA: Sign in)"
    )]
    NotSignedIn,
    #[error(
        "your AUTOCREA balance is {balance} credits and a generation needs {price}: upgrade your plan at {upgrade_url}, or run with your own OpenAI or Anthropic key or the offline engine"
    )]
    InsufficientCredits { balance: i64, price: i64, upgrade_url: String },
    #[error("the AUTOCREA gateway answered {status}: {message}")]
    Gateway { status: u16, message: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    #[serde(default = "default_interval")]
    pub interval: u64,
}

fn default_interval() -> u64 {
    5
}

/// What polling for the token said.
#[derive(Debug)]
pub enum Poll {
    Token(Secret),
    Pending,
    SlowDown,
    Denied,
    Expired,
}

/// The account as `GET /v1/me` describes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Me {
    pub email: String,
    pub plan: String,
    pub status: String,
    pub balance: i64,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Reservation {
    pub id: String,
    pub reserved: i64,
    pub balance: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Settlement {
    pub charged: i64,
    pub released: i64,
    pub balance: i64,
    pub tokens: i64,
}

/// A client of one gateway.
#[derive(Clone)]
pub struct Gateway {
    pub url: String,
    http: reqwest::Client,
}

impl Gateway {
    pub fn new(url: &str) -> Gateway {
        Gateway {
            url: url.trim_end_matches('/').to_string(),
            http: crate::model::provider::http_client(Duration::from_secs(10)),
        }
    }

    fn unreachable(&self, e: &reqwest::Error) -> AccountError {
        AccountError::Unreachable { gateway: self.url.clone(), detail: e.to_string() }
    }

    async fn read<T: serde::de::DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<T, AccountError> {
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| self.unreachable(&e))?;
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
        if status == 401 {
            return Err(AccountError::NotSignedIn);
        }
        if status == 402 {
            return Err(AccountError::InsufficientCredits {
                balance: json["balance"].as_i64().unwrap_or(0),
                price: json["price"].as_i64().unwrap_or(0),
                upgrade_url: json["upgrade_url"]
                    .as_str()
                    .unwrap_or(&format!("{}/billing", self.url))
                    .to_string(),
            });
        }
        if !(200..300).contains(&status) {
            let message = json["message"]
                .as_str()
                .or(json["error"].as_str())
                .map(str::to_string)
                .unwrap_or_else(|| body.chars().take(200).collect());
            return Err(AccountError::Gateway { status, message });
        }
        serde_json::from_value(json).map_err(|e| AccountError::Gateway {
            status,
            message: format!("an answer this client does not understand ({e})"),
        })
    }

    /// Starts a device sign-in (RFC 8628).
    pub async fn device_code(&self) -> Result<DeviceCode, AccountError> {
        let response = self
            .http
            .post(format!("{}/v1/device/code", self.url))
            .form(&[("client_id", "autocrea")])
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        self.read(response).await
    }

    /// One poll for the token.
    pub async fn poll(&self, device_code: &str) -> Result<Poll, AccountError> {
        let response = self
            .http
            .post(format!("{}/v1/device/token", self.url))
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", device_code),
                ("client_id", "autocrea"),
            ])
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
        if status == 200
            && let Some(token) = body["access_token"].as_str()
        {
            return Ok(Poll::Token(Secret::new(token)));
        }
        Ok(match body["error"].as_str() {
            Some("authorization_pending") => Poll::Pending,
            Some("slow_down") => Poll::SlowDown,
            Some("access_denied") => Poll::Denied,
            Some("expired_token") => Poll::Expired,
            other => {
                return Err(AccountError::Gateway {
                    status,
                    message: body["error_description"]
                        .as_str()
                        .or(other)
                        .unwrap_or("an unexpected answer")
                        .to_string(),
                });
            }
        })
    }

    pub async fn me(&self, token: &Secret) -> Result<Me, AccountError> {
        let response = self
            .http
            .get(format!("{}/v1/me", self.url))
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        self.read(response).await
    }

    /// Revokes the token (signing out).
    pub async fn revoke(&self, token: &Secret) -> Result<(), AccountError> {
        let response = self
            .http
            .delete(format!("{}/v1/sessions/current", self.url))
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        match response.status().as_u16() {
            204 | 200 | 401 => Ok(()),
            status => {
                Err(AccountError::Gateway { status, message: response.text().await.unwrap_or_default() })
            }
        }
    }

    /// Holds credits for a generation.
    pub async fn reserve(&self, token: &Secret) -> Result<Reservation, AccountError> {
        let response = self
            .http
            .post(format!("{}/v1/reservations", self.url))
            .bearer_auth(token.expose())
            .json(&serde_json::json!({}))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        self.read(response).await
    }

    /// Charges a generation its actual cost and releases the rest.
    pub async fn settle(&self, token: &Secret, id: &str) -> Result<Settlement, AccountError> {
        let response = self
            .http
            .post(format!("{}/v1/reservations/{id}/settle", self.url))
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        self.read(response).await
    }

    /// A Stripe Checkout page for a plan (`basic` or `pro`).
    pub async fn checkout(&self, token: &Secret, plan: &str) -> Result<String, AccountError> {
        let response = self
            .http
            .post(format!("{}/v1/billing/checkout", self.url))
            .bearer_auth(token.expose())
            .json(&serde_json::json!({"plan": plan}))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let answer: serde_json::Value = self.read(response).await?;
        answer["url"]
            .as_str()
            .map(str::to_string)
            .ok_or(AccountError::Gateway { status: 200, message: "no checkout URL in the answer".into() })
    }
}
