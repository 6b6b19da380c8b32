namespace CompanyHub.Integrations.Google.Gmail;

/// <summary>A draft in the person's mailbox: its stable id, and the message it holds now.</summary>
/// <param name="Id">Gmail's draft id (stable while the draft exists).</param>
/// <param name="Message">The draft's message. Gmail replaces it (with a new id) whenever the draft is changed.</param>
public sealed record GmailDraft(string Id, GmailMessage Message);
