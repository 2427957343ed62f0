namespace DiffPrune.Data.Scenes;

/// <summary>How a POPE negative (an absent object asked about) is sampled.</summary>
public enum PopeSplit
{
    /// <summary>Uniformly among the kinds absent from the image.</summary>
    Random,
    /// <summary>Among the three most frequent kinds in the dataset (by <see cref="SceneAttributes.Prior"/>) absent from the image.</summary>
    Popular,
    /// <summary>Among absent kinds that share a colour or a shape with an object in the image.</summary>
    Adversarial,
}
