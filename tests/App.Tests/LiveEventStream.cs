using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CompanyHub.Tests;

/// <summary>A client of one of the hub's event streams: reads its events in the background, in order, for a test to wait on.</summary>
public sealed class LiveEventStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<SseItem<string>> _events = Channel.CreateUnbounded<SseItem<string>>();
    private readonly Task _reading;

    private LiveEventStream(HttpResponseMessage response)
    {
        _response = response;
        _reading = Task.Run(ReadAsync);
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Every event read so far, in order.</summary>
    public List<SseItem<string>> Seen { get; } = [];

    /// <summary>Opens the stream at <paramref name="path"/>, resuming after <paramref name="lastEventId"/> when given; asserts it answers 200 text/event-stream.</summary>
    public static async Task<LiveEventStream> OpenAsync(HttpClient http, string path, string? lastEventId = null)
    {
        var response = await SendAsync(http, path, lastEventId);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // Read only a refusal: a stream's body never ends.
            Assert.Fail($"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new LiveEventStream(response);
    }

    /// <summary>Sends the stream's request and returns the answer as it is (for refusals).</summary>
    public static Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>Waits for the next event of <paramref name="type"/> whose data matches, skipping others (they stay in <see cref="Seen"/>).</summary>
    public async Task<(SseItem<string> Item, JsonObject Data)> NextAsync(string type, Func<JsonObject, bool>? match = null, TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? ToolHub.Wait);
        try
        {
            while (true)
            {
                var item = await _events.Reader.ReadAsync(timeout.Token);
                if (item.EventType != type)
                {
                    continue;
                }

                var data = item.Data.Length == 0 ? new JsonObject() : JsonNode.Parse(item.Data)!.AsObject();
                if (match is null || match(data))
                {
                    return (item, data);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"No '{type}' event came. Seen: {string.Join(" | ", Seen.Select(e => $"{e.EventType}#{e.EventId} {e.Data}"))}");
        }
        catch (ChannelClosedException)
        {
            throw new Xunit.Sdk.XunitException($"The stream ended before a '{type}' event. Seen: {string.Join(" | ", Seen.Select(e => $"{e.EventType}#{e.EventId} {e.Data}"))}");
        }
    }

    /// <summary>Waits until an event of <paramref name="type"/> that matches has been seen, in whatever order it came among others.</summary>
    public async Task<(SseItem<string> Item, JsonObject Data)> SeenAsync(string type, Func<JsonObject, bool> match, TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? ToolHub.Wait);
        while (true)
        {
            lock (Seen)
            {
                foreach (var item in Seen.Where(e => e.EventType == type && e.Data.Length > 0))
                {
                    var data = JsonNode.Parse(item.Data)!.AsObject();
                    if (match(data))
                    {
                        return (item, data);
                    }
                }
            }

            try
            {
                await _events.Reader.ReadAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
            {
                throw new Xunit.Sdk.XunitException($"No matching '{type}' event came. Seen: {string.Join(" | ", Seen.Select(e => $"{e.EventType}#{e.EventId} {e.Data}"))}");
            }
        }
    }

    /// <summary>Waits until the hub ends the stream; returns the events that came meanwhile.</summary>
    public async Task<List<SseItem<string>>> EndAsync(TimeSpan? wait = null)
    {
        var rest = new List<SseItem<string>>();
        using var timeout = new CancellationTokenSource(wait ?? ToolHub.Wait);
        try
        {
            await foreach (var item in _events.Reader.ReadAllAsync(timeout.Token))
            {
                rest.Add(item);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"The stream did not end. Seen: {string.Join(" | ", Seen.Select(e => $"{e.EventType}#{e.EventId} {e.Data}"))}");
        }

        return rest;
    }

    private async Task ReadAsync()
    {
        try
        {
            await using var body = await _response.Content.ReadAsStreamAsync(_stop.Token);
            await foreach (var item in SseParser.Create(body).EnumerateAsync(_stop.Token))
            {
                lock (Seen)
                {
                    Seen.Add(item);
                }

                await _events.Writer.WriteAsync(item);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
            // Closed by the test (or the connection dropped): the channel ends either way.
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reading;
        _stop.Dispose();
    }
}
