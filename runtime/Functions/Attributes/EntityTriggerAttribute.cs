namespace Serverless.Functions;

/// <summary>
/// Makes the function a durable entity named after the function. Put it on a <see cref="TaskEntityDispatcher"/>
/// parameter and call <see cref="TaskEntityDispatcher.DispatchAsync{T}"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class EntityTriggerAttribute : Attribute
{
}
