namespace Serverless.DurableTask.Client;

/// <summary>A sequence read page by page from the store.</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class AsyncPageable<T> : IAsyncEnumerable<T>
{
    private readonly Func<string?, int?, CancellationToken, Task<Page<T>>> _fetch;

    /// <summary>Initializes a new instance of the <see cref="AsyncPageable{T}"/> class.</summary>
    public AsyncPageable(Func<string?, int?, CancellationToken, Task<Page<T>>> fetch)
    {
        _fetch = fetch;
    }

    /// <summary>Enumerates the pages, starting at <paramref name="continuationToken"/>.</summary>
    public async IAsyncEnumerable<Page<T>> AsPages(string? continuationToken = null, int? pageSizeHint = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var token = continuationToken;
        do
        {
            var page = await _fetch(token, pageSizeHint, cancellationToken).ConfigureAwait(false);
            yield return page;
            token = page.ContinuationToken;
        }
        while (token is not null);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        await foreach (var page in AsPages(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            foreach (var item in page.Values)
            {
                yield return item;
            }
        }
    }
}
