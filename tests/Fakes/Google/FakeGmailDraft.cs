namespace CompanyHub.Fakes.Google;

/// <summary>A draft in a fake mailbox as it is now: its id and the message it holds.</summary>
/// <param name="Id">The draft id.</param>
/// <param name="MessageId">The Gmail id of the draft's message (new whenever the draft is changed).</param>
public sealed record FakeGmailDraft(string Id, string MessageId, string ThreadId, string? To, string? Cc, string? Subject, string Body, string? MessageIdHeader);
