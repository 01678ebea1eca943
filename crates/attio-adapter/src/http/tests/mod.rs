mod classification;
