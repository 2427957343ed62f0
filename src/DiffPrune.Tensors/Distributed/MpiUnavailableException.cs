namespace DiffPrune.Tensors.Distributed;

/// <summary>mpiexec started several processes, but no MPI library could be loaded into them.</summary>
/// <param name="message">What was tried and what to install.</param>
public sealed class MpiUnavailableException(string message) : InvalidOperationException(message);
