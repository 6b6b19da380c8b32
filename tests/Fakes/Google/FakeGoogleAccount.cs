using System.Globalization;
using System.Text.Json.Nodes;

namespace CompanyHub.Fakes.Google;

/// <summary>A Google account of the fake: who signs in on the consent page, and their mailbox and calendar.</summary>
public sealed class FakeGoogleAccount
{
    private readonly Lock _gate;
    private readonly List<StoredGmailMessage> _messages = [];
    private readonly List<StoredCalendarEvent> _events = [];
    private readonly Dictionary<string, string> _labels = new(StringComparer.Ordinal);

    // Draft id → the id of the message it holds now (the message is in _messages with the DRAFT label).
    private readonly Dictionary<string, string> _drafts = new(StringComparer.Ordinal);

    internal FakeGoogleAccount(Lock gate, string email, string? name, bool emailVerified)
    {
        _gate = gate;
        Email = email;
        Name = name;
        EmailVerified = emailVerified;
        Subject = ((uint)email.ToLowerInvariant().GetHashCode(StringComparison.Ordinal)).ToString(CultureInfo.InvariantCulture).PadLeft(21, '1');
    }

    /// <summary>Gets the email address.</summary>
    public string Email { get; }

    /// <summary>Gets the display name.</summary>
    public string? Name { get; }

    /// <summary>Gets the stable account id (<c>sub</c>).</summary>
    public string Subject { get; set; }

    /// <summary>Gets or sets a value indicating whether userinfo reports the email as verified.</summary>
    public bool EmailVerified { get; set; }

    /// <summary>Gets the number of messages in the mailbox (sent ones included).</summary>
    public int MessageCount
    {
        get
        {
            lock (_gate)
            {
                return _messages.Count;
            }
        }
    }

    /// <summary>Gets copies of the calendar's events as Google's JSON.</summary>
    public IReadOnlyList<JsonObject> Events
    {
        get
        {
            lock (_gate)
            {
                return _events.Select(e => (JsonObject)e.Json.DeepClone()).ToArray();
            }
        }
    }

    /// <summary>Puts a message into the mailbox; returns its Gmail id.</summary>
    public string AddMessage(FakeGmailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var id = FakeGoogle.NewId(8);
        var headers = new List<KeyValuePair<string, string>>
        {
            new("From", message.From),
            new("To", message.To ?? Email),
            new("Subject", message.Subject),
            new("Date", FakeGoogle.RfcDate(message.Date)),
            new("Message-ID", message.MessageId ?? $"<{id}@mail.example.com>"),
        };
        if (message.Cc is not null)
        {
            headers.Add(new("Cc", message.Cc));
        }

        if (message.Bcc is not null)
        {
            headers.Add(new("Bcc", message.Bcc));
        }

        Add(new StoredGmailMessage
        {
            Id = id,
            ThreadId = message.ThreadId ?? id,
            Labels = [.. message.Labels],
            Date = message.Date,
            Headers = headers,
            Body = message.Body,
            HtmlBody = message.HtmlBody,
            Attachments = message.Attachments,
        });
        return id;
    }

    /// <summary>Puts a timed event into the primary calendar; returns its id.</summary>
    public string AddEvent(string summary, DateTimeOffset start, DateTimeOffset end, string? description = null, string? location = null)
    {
        var json = new JsonObject
        {
            ["summary"] = summary,
            ["start"] = new JsonObject { ["dateTime"] = start.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) },
            ["end"] = new JsonObject { ["dateTime"] = end.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) },
        };
        if (description is not null)
        {
            json["description"] = description;
        }

        if (location is not null)
        {
            json["location"] = location;
        }

        return AddEventJson(json, start, end);
    }

    /// <summary>Puts an all-day event into the primary calendar (<paramref name="endExclusive"/> is the day after); returns its id.</summary>
    public string AddAllDayEvent(string summary, DateOnly start, DateOnly endExclusive)
    {
        var json = new JsonObject
        {
            ["summary"] = summary,
            ["start"] = new JsonObject { ["date"] = start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
            ["end"] = new JsonObject { ["date"] = endExclusive.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
        };
        return AddEventJson(json, new DateTimeOffset(start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), new DateTimeOffset(endExclusive.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
    }

    internal string AddEventJson(JsonObject json, DateTimeOffset start, DateTimeOffset end)
    {
        var id = json["id"]?.GetValue<string>() ?? FakeGoogle.NewId(13);
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        json["kind"] = "calendar#event";
        json["etag"] = $"\"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\"";
        json["id"] = id;
        json["status"] ??= "confirmed";
        json["htmlLink"] = $"https://www.google.com/calendar/event?eid={id}";
        json["created"] = now;
        json["updated"] = now;
        json["creator"] ??= new JsonObject { ["email"] = Email, ["self"] = true };
        json["organizer"] ??= new JsonObject { ["email"] = Email, ["self"] = true };
        json["iCalUID"] = id + "@google.com";
        json["sequence"] = 0;
        json["eventType"] = "default";
        lock (_gate)
        {
            _events.Add(new StoredCalendarEvent("primary", json, start, end));
        }

        return id;
    }

    /// <summary>
    /// Puts an invitation from <paramref name="organizer"/> into the primary calendar: this account is a guest
    /// (<c>self</c>, <c>needsAction</c>) beside the organizer and <paramref name="otherGuests"/>; returns its id.
    /// </summary>
    public string AddInvitation(string summary, DateTimeOffset start, DateTimeOffset end, string organizer, params string[] otherGuests)
    {
        var json = new JsonObject
        {
            ["summary"] = summary,
            ["start"] = new JsonObject { ["dateTime"] = start.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) },
            ["end"] = new JsonObject { ["dateTime"] = end.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) },
            ["creator"] = new JsonObject { ["email"] = organizer },
            ["organizer"] = new JsonObject { ["email"] = organizer },
            ["attendees"] = new JsonArray([
                new JsonObject { ["email"] = organizer, ["organizer"] = true, ["responseStatus"] = "accepted" },
                new JsonObject { ["email"] = Email, ["self"] = true, ["responseStatus"] = "needsAction" },
                .. otherGuests.Select(g => (JsonNode)new JsonObject { ["email"] = g, ["responseStatus"] = "needsAction" }),
            ]),
        };
        return AddEventJson(json, start, end);
    }

    /// <summary>A copy of one event of the primary calendar as Google answers it, or null.</summary>
    public JsonObject? GetEvent(string id) => FindEvent(id)?.Json.DeepClone() as JsonObject;

    internal StoredCalendarEvent? FindEvent(string id)
    {
        lock (_gate)
        {
            return _events.FirstOrDefault(e => e.Json["id"]?.GetValue<string>() == id);
        }
    }

    internal void ReplaceEvent(StoredCalendarEvent old, StoredCalendarEvent replacement)
    {
        lock (_gate)
        {
            _events[_events.IndexOf(old)] = replacement;
        }
    }

    /// <summary>Adds a user label (such as <c>Clients/Acme</c>); returns its id (<c>Label_n</c>), for <see cref="FakeGmailMessage.Labels"/>.</summary>
    public string AddLabel(string name)
    {
        lock (_gate)
        {
            var id = $"Label_{_labels.Count + 1}";
            _labels[id] = name;
            return id;
        }
    }

    internal List<KeyValuePair<string, string>> LabelsSnapshot()
    {
        lock (_gate)
        {
            return [.. _labels];
        }
    }

    internal bool HasEvent(string id)
    {
        lock (_gate)
        {
            return _events.Any(e => e.Json["id"]?.GetValue<string>() == id);
        }
    }

    /// <summary>Gets the account's drafts as they are now.</summary>
    public IReadOnlyList<FakeGmailDraft> Drafts
    {
        get
        {
            lock (_gate)
            {
                return [.. _drafts.Select(d =>
                {
                    var m = _messages.Single(m => m.Id == d.Value);
                    return new FakeGmailDraft(d.Key, m.Id, m.ThreadId, m.Header("To"), m.Header("Cc"), m.Header("Subject"), m.Body, m.Header("Message-ID"));
                })];
            }
        }
    }

    /// <summary>Puts a draft into the mailbox (as written in Gmail); returns its draft id.</summary>
    public string AddDraft(FakeGmailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var messageId = AddMessage(message with { Labels = ["DRAFT"] });
        return MapDraft(messageId);
    }

    /// <summary>Changes a draft as Gmail does (<c>drafts.update</c>, or an edit in Gmail): its message is replaced by one with a new id.</summary>
    public void ReplaceDraft(string draftId, string? subject = null, string? body = null)
    {
        lock (_gate)
        {
            var old = _messages.Single(m => m.Id == _drafts[draftId]);
            var headers = old.Headers.Select(h => subject is not null && h.Key.Equals("Subject", StringComparison.OrdinalIgnoreCase) ? new KeyValuePair<string, string>(h.Key, subject) : h).ToList();
            var replacement = new StoredGmailMessage { Id = FakeGoogle.NewId(8), ThreadId = old.ThreadId, Labels = ["DRAFT"], Date = DateTimeOffset.UtcNow, Headers = headers, Body = body ?? old.Body };
            _messages.Remove(old);
            _messages.Add(replacement);
            _drafts[draftId] = replacement.Id;
        }
    }

    /// <summary>Deletes a draft and its message (<c>drafts.delete</c>, or deleting it in Gmail).</summary>
    public void DeleteDraft(string draftId)
    {
        lock (_gate)
        {
            _messages.RemoveAll(m => m.Id == _drafts[draftId]);
            _drafts.Remove(draftId);
        }
    }

    /// <summary>Makes a message of the mailbox a draft; returns the new draft id.</summary>
    internal string MapDraft(string messageId)
    {
        lock (_gate)
        {
            var id = "r" + FakeGoogle.NewId(8);
            _drafts[id] = messageId;
            return id;
        }
    }

    /// <summary>The drafts, each with the message it holds.</summary>
    internal List<(string DraftId, StoredGmailMessage Message)> DraftsSnapshot()
    {
        lock (_gate)
        {
            return [.. _drafts.Select(d => (d.Key, _messages.Single(m => m.Id == d.Value)))];
        }
    }

    /// <summary>Removes a draft and its message (Gmail deletes a draft when it is sent); null when there is no such draft.</summary>
    internal StoredGmailMessage? TakeDraft(string draftId)
    {
        lock (_gate)
        {
            if (!_drafts.Remove(draftId, out var messageId))
            {
                return null;
            }

            var message = _messages.Single(m => m.Id == messageId);
            _messages.Remove(message);
            return message;
        }
    }

    internal void Add(StoredGmailMessage message)
    {
        lock (_gate)
        {
            _messages.Add(message);
        }
    }

    internal List<StoredGmailMessage> MessagesSnapshot()
    {
        lock (_gate)
        {
            return [.. _messages];
        }
    }

    internal List<StoredCalendarEvent> EventsSnapshot()
    {
        lock (_gate)
        {
            return [.. _events];
        }
    }
}
