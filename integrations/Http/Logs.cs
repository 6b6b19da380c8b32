using Microsoft.Extensions.Logging;

namespace CompanyHub.Integrations.Http;

/// <summary>Structured log events of the integration clients. None carries a token, a key or an OAuth code.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "{Service} {Operation} failed with {StatusCode} ({ErrorCode}); transient: {IsTransient}")]
    public static partial void ServiceCallFailed(this ILogger logger, string service, string operation, int statusCode, string? errorCode, bool isTransient);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "{Service} {Operation} timed out after {Timeout}")]
    public static partial void ServiceCallTimedOut(this ILogger logger, string service, string operation, TimeSpan timeout);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "{Service} {Operation} could not reach the service: {Reason}")]
    public static partial void ServiceUnreachable(this ILogger logger, string service, string operation, string reason);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Gmail message {GmailMessageId} sent in thread {ThreadId}")]
    public static partial void GmailMessageSent(this ILogger logger, string gmailMessageId, string? threadId);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Information, Message = "Gmail draft {DraftId} created (message {GmailMessageId})")]
    public static partial void GmailDraftCreated(this ILogger logger, string draftId, string gmailMessageId);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Information, Message = "Google Doc {DocumentId} {Change}")]
    public static partial void GoogleDocChanged(this ILogger logger, string documentId, string change);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Calendar event {EventId} created in calendar {CalendarId}")]
    public static partial void CalendarEventCreated(this ILogger logger, string eventId, string calendarId);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information, Message = "Calendar event {EventId} in calendar {CalendarId} {Change}")]
    public static partial void CalendarEventChanged(this ILogger logger, string eventId, string calendarId, string change);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "Notion page {PageId} {Change}")]
    public static partial void NotionPageChanged(this ILogger logger, string pageId, string change);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Information, Message = "Attio {Kind} {Id} {Change}")]
    public static partial void AttioChanged(this ILogger logger, string kind, string id, string change);
}
