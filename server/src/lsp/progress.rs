//! Work-done progress for a run, through a guard whose `Drop` sends `end`, so a failing or
//! panicking run never leaves a spinner behind. Clients without work-done progress get
//! `window/logMessage` lines instead.

use tower_lsp_server::Client;
use tower_lsp_server::ls_types::notification::Progress as ProgressNotification;
use tower_lsp_server::ls_types::{
    MessageType, NumberOrString, ProgressParams, ProgressParamsValue, WorkDoneProgress,
    WorkDoneProgressBegin, WorkDoneProgressEnd, WorkDoneProgressReport,
};

pub struct ProgressGuard {
    client: Client,
    /// `None` when the client does not do work-done progress.
    token: Option<NumberOrString>,
    ended: bool,
    cancellable: bool,
}

impl ProgressGuard {
    /// Creates the progress with the client (when it supports it) and sends `begin`; the
    /// user may cancel it.
    pub async fn begin(client: &Client, supported: bool, token: String, title: String) -> ProgressGuard {
        ProgressGuard::start(client, supported, token, title, true).await
    }

    /// Like [`ProgressGuard::begin`], for work that cannot be cancelled.
    pub async fn begin_uncancellable(
        client: &Client,
        supported: bool,
        token: String,
        title: String,
    ) -> ProgressGuard {
        ProgressGuard::start(client, supported, token, title, false).await
    }

    async fn start(
        client: &Client,
        supported: bool,
        token: String,
        title: String,
        cancellable: bool,
    ) -> ProgressGuard {
        let token = NumberOrString::String(token);
        let token = if supported && client.create_work_done_progress(token.clone()).await.is_ok() {
            Some(token)
        } else {
            None
        };
        let guard = ProgressGuard { client: client.clone(), token, ended: false, cancellable };
        match &guard.token {
            Some(_) => {
                guard
                    .send(WorkDoneProgress::Begin(WorkDoneProgressBegin {
                        title,
                        cancellable: Some(cancellable),
                        message: None,
                        percentage: Some(0),
                    }))
                    .await
            }
            None => client.log_message(MessageType::INFO, title).await,
        }
        guard
    }

    pub async fn report(&self, message: String, percentage: u32) {
        match &self.token {
            Some(_) => {
                self.send(WorkDoneProgress::Report(WorkDoneProgressReport {
                    cancellable: Some(self.cancellable),
                    message: Some(message),
                    percentage: Some(percentage.min(100)),
                }))
                .await
            }
            None => self.client.log_message(MessageType::INFO, format!("[{percentage:>3}%] {message}")).await,
        }
    }

    pub async fn end(mut self, message: String) {
        self.ended = true;
        match &self.token {
            Some(_) => self.send(WorkDoneProgress::End(WorkDoneProgressEnd { message: Some(message) })).await,
            None => self.client.log_message(MessageType::INFO, message).await,
        }
    }

    async fn send(&self, value: WorkDoneProgress) {
        if let Some(token) = &self.token {
            self.client
                .send_notification::<ProgressNotification>(ProgressParams {
                    token: token.clone(),
                    value: ProgressParamsValue::WorkDone(value),
                })
                .await;
        }
    }
}

impl Drop for ProgressGuard {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        if let (Some(token), Ok(rt)) = (self.token.clone(), tokio::runtime::Handle::try_current()) {
            let client = self.client.clone();
            rt.spawn(async move {
                client
                    .send_notification::<ProgressNotification>(ProgressParams {
                        token,
                        value: ProgressParamsValue::WorkDone(WorkDoneProgress::End(WorkDoneProgressEnd {
                            message: Some("stopped".into()),
                        })),
                    })
                    .await;
            });
        }
    }
}
