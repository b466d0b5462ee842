"""Single-document blocks (datatrove PipelineSteps) and the registry that names them in configs."""
