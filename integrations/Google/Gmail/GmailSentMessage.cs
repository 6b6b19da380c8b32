namespace CompanyHub.Integrations.Google.Gmail;

/// <summary>What Gmail answered for a sent message.</summary>
/// <param name="Id">Gmail's id of the sent message.</param>
/// <param name="ThreadId">The thread it was filed in.</param>
/// <param name="MessageIdHeader">The <c>Message-ID</c> the client wrote into the message.</param>
public sealed record GmailSentMessage(string Id, string ThreadId, string MessageIdHeader);
