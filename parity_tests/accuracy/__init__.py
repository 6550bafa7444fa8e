"""The dense accuracy check (`make accuracy`): each accuracy claim measured on 10^6 inputs, both languages."""
