"""An example clsim plug-in: a learner (``er-smooth``) and an agent (``bow``)."""
