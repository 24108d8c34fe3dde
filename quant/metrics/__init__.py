"""Performance metrics of equity curves and trade lists, and overfitting statistics."""
