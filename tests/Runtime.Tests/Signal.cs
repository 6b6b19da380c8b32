namespace Serverless.Runtime.Tests;

/// <summary>A one-shot signal between test code and task code, awaited with a timeout.</summary>
internal sealed class Signal
{
    private readonly TaskCompletionSource _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Task => _tcs.Task;

    public void Set() => _tcs.TrySetResult();

    public Task WaitAsync() => _tcs.Task.WaitAsync(TestHub.DefaultTimeout);
}
