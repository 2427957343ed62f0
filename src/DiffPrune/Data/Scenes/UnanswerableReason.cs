namespace DiffPrune.Data.Scenes;

/// <summary>Why a VizWiz item's answer is "unanswerable".</summary>
public enum UnanswerableReason
{
    /// <summary>The item is answerable.</summary>
    None,
    /// <summary>The object (or region) asked about was never in the image.</summary>
    Absent,
    /// <summary>The object asked about was painted over by the occlusion.</summary>
    Occluded,
}
