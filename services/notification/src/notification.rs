//! `pos.notification.v1.NotificationService`.

use tonic::{Request, Response, Status};

use pos_api::pos::notification::v1 as pb;
use pos_api::pos::notification::v1::notification_service_server::NotificationService;
use pos_platform::ModuleContext;

use crate::error::NotificationError;

/// Handlers of `pos.notification.v1.NotificationService`.
pub(crate) struct NotificationApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #5")]
    ctx: ModuleContext,
}

impl NotificationApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        NotificationApi { ctx }
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationApi {
    async fn list_notifications(
        &self,
        _request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        Err(NotificationError::NotBuiltYet("ListNotifications").into())
    }

    async fn get_notification(
        &self,
        _request: Request<pb::GetNotificationRequest>,
    ) -> Result<Response<pb::GetNotificationResponse>, Status> {
        Err(NotificationError::NotBuiltYet("GetNotification").into())
    }

    async fn resend_notification(
        &self,
        _request: Request<pb::ResendNotificationRequest>,
    ) -> Result<Response<pb::ResendNotificationResponse>, Status> {
        Err(NotificationError::NotBuiltYet("ResendNotification").into())
    }
}
